// Regenerates config/.env.example from the variable table in src/app/config/variables.ts.
import { writeFileSync } from 'node:fs';
import { renderEnvExample } from '../src/app/config/load-config.js';

writeFileSync(new URL('../config/.env.example', import.meta.url), renderEnvExample());
console.log('wrote config/.env.example');
