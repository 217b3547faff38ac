// Regenerates config/.env.example and the README's variable table from src/app/config/variables.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderEnvExample, renderVariablesTable } from '../src/app/config/load-config.js';

writeFileSync(new URL('../config/.env.example', import.meta.url), renderEnvExample());
const readmeUrl = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeUrl, 'utf8');
const updated = readme.replace(/(<!-- variables:start -->\n)[\s\S]*?(<!-- variables:end -->)/, `$1${renderVariablesTable()}\n$2`);
writeFileSync(readmeUrl, updated);
console.log('wrote config/.env.example and the README variable table');
