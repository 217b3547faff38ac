// Regenerates config/.env.example, the README's variable table and compose.yaml's environment block from src/app/config/variables.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderComposeEnvironment, renderEnvExample, renderVariablesTable } from '../src/app/config/load-config.js';

writeFileSync(new URL('../config/.env.example', import.meta.url), renderEnvExample());
const readmeUrl = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeUrl, 'utf8');
const updated = readme.replace(/(<!-- variables:start -->\n)[\s\S]*?(<!-- variables:end -->)/, `$1${renderVariablesTable()}\n$2`);
writeFileSync(readmeUrl, updated);
const composeUrl = new URL('../compose.yaml', import.meta.url);
const compose = readFileSync(composeUrl, 'utf8');
writeFileSync(composeUrl, compose.replace(/( {2}# variables:start[^\n]*\n)[\s\S]*?( {2}# variables:end)/, `$1${renderComposeEnvironment()}\n$2`));
console.log('wrote config/.env.example, the README variable table and the compose.yaml environment');
