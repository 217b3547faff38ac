import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderComposeEnvironment } from '../src/app/config/load-config.js';
import { VARIABLES } from '../src/app/config/variables.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));

/** `docker compose` (v2 plugin) or `docker-compose` (v1): whichever this machine has. No engine is needed for `config`. */
async function composeCommand(): Promise<string[] | null> {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    try {
      await run(candidate[0] as string, [...candidate.slice(1), 'version']);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return null;
}

const compose = await composeCommand();
const missing = compose === null && process.env['CI'] !== 'true';

describe.skipIf(missing)('compose files (validated with the docker client; no engine needed)', () => {
  it('compose.yaml is valid', async () => {
    if (compose === null) throw new Error('CI needs `docker compose` or `docker-compose` to validate compose.yaml (.ci/run installs docker-compose)');
    const [cmd, ...pre] = compose;
    const { stdout } = await run(cmd as string, [...pre, '-f', 'compose.yaml', 'config'], { cwd: repo, env: { ...process.env, WICK_MODE: '' } });
    expect(stdout).toContain('wick:');
    expect(stdout).toContain('redis:');
  });

  it.each(readdirSync(new URL('../docker/', import.meta.url)).filter((f) => /^compose\..+\.ya?ml$/.test(f)))('compose.yaml + docker/%s is valid', async (file) => {
    if (compose === null) throw new Error('no docker compose client');
    const [cmd, ...pre] = compose;
    const { stdout } = await run(cmd as string, [...pre, '-f', 'compose.yaml', '-f', `docker/${file}`, 'config'], { cwd: repo });
    expect(stdout).toContain('wick');
  });
});

describe('compose.yaml content', () => {
  const text = readFileSync(new URL('../compose.yaml', import.meta.url), 'utf8');
  it('passes every wick variable through to the container (the block generated from the variable table)', () => {
    expect(text).toContain(renderComposeEnvironment());
    for (const def of VARIABLES) expect(text).toContain(`${def.env}:`);
  });
  it('runs Redis with AOF persistence, noeviction, a healthcheck and a named volume', () => {
    expect(text).toMatch(/--appendonly", "yes"/);
    expect(text).toMatch(/--maxmemory-policy", "noeviction"/);
    expect(text).toMatch(/redis-data:\/data/);
    expect(text).toMatch(/healthcheck:/);
  });
  it('runs wick in paper mode with restart and log rotation, publishing only on loopback', () => {
    expect(text).toMatch(/command: \["paper"\]/);
    expect(text).toMatch(/restart: unless-stopped/);
    expect(text).toMatch(/max-size/);
    expect(text).toMatch(/"127\.0\.0\.1:/);
  });
});
