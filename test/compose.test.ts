import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it.each(readdirSync(new URL('../docker/', import.meta.url)).filter((f) => /^compose\..+\.ya?ml$/.test(f)))(
    'compose.yaml + docker/%s is valid',
    async (file) => {
      if (compose === null) throw new Error('no docker compose client');
      const [cmd, ...pre] = compose;
      const { stdout } = await run(cmd as string, [...pre, '-f', 'compose.yaml', '-f', `docker/${file}`, 'config'], { cwd: repo });
      expect(stdout).toContain('wick');
    },
  );
});

/** A folder laid out as a user's clone after `cp config/.env.example .env`: compose files, docker/, .env. */
function userFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wick-compose-'));
  copyFileSync(join(repo, 'compose.yaml'), join(dir, 'compose.yaml'));
  cpSync(join(repo, 'docker'), join(dir, 'docker'), { recursive: true });
  copyFileSync(join(repo, 'config/.env.example'), join(dir, '.env'));
  return dir;
}

/** `KEY: value` lines of every service's environment in `compose config` output, as [key, value] pairs. */
function settings(rendered: string, key: string): string[] {
  return [...rendered.matchAll(new RegExp(`^\\s+${key}: (.*)$`, 'gm'))].map((m) => (m[1] as string).replace(/^['"]|['"]$/g, ''));
}

const variants: readonly { name: string; args: readonly string[]; wickServices: number }[] = [
  { name: 'default', args: [], wickServices: 1 },
  { name: 'demo profile', args: ['--profile', 'demo'], wickServices: 2 },
  { name: 'sandbox profile', args: ['--profile', 'sandbox'], wickServices: 2 },
  { name: 'monitoring override', args: ['-f', 'compose.yaml', '-f', 'docker/compose.monitoring.yaml', '--profile', 'monitoring'], wickServices: 1 },
  { name: 'GPU override', args: ['-f', 'compose.yaml', '-f', 'docker/compose.gpu.yaml'], wickServices: 1 },
];

describe.skipIf(missing)('`cp config/.env.example .env && docker compose config` (a fresh user folder)', () => {
  it.each(variants)('$name: Redis resolves to the redis service and the API token to the generated file', async ({ args, wickServices }) => {
    if (compose === null) throw new Error('no docker compose client');
    const [cmd, ...pre] = compose;
    // Only PATH and HOME: no WICK_* of this shell may leak into the resolution.
    const { stdout } = await run(cmd as string, [...pre, ...args, 'config'], {
      cwd: userFolder(),
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
    });
    const redisUrls = settings(stdout, 'WICK_REDIS_URL');
    // compose v2 lists the services of the chosen profiles; v1 lists every service: at least those must resolve.
    expect(redisUrls.length).toBeGreaterThanOrEqual(wickServices);
    for (const url of redisUrls) expect(url).toBe('redis://redis:6379');
    const tokenFiles = settings(stdout, 'WICK_API_TOKEN_FILE');
    expect(tokenFiles.length).toBeGreaterThanOrEqual(1);
    for (const file of tokenFiles) expect(file).toBe('/run/wick/api-token');
    // An empty WICK_API_TOKEN is "unset": the token file applies.
    for (const token of settings(stdout, 'WICK_API_TOKEN')) expect(token).toBe('');
    expect(stdout).toMatch(/--maxmemory/);
  });
});

describe('config/.env.example', () => {
  it('sets nothing: every variable line is commented out, so a copy of it cannot override compose', () => {
    const example = readFileSync(new URL('../config/.env.example', import.meta.url), 'utf8');
    const active = example.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(active).toEqual([]);
    for (const def of VARIABLES) expect(example).toContain(`# ${def.env}=`);
  });
});

describe('images (Dockerfile, docker/Dockerfile.cuda)', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    engines: { node: string };
    allowScripts: Record<string, boolean>;
  };
  const files = ['Dockerfile', 'docker/Dockerfile.cuda'].map((f) => [f, readFileSync(join(repo, f), 'utf8')] as const);
  it.each(files)('%s: a Node LTS that package.json engines accepts; healthcheck on liveness; Linux onnxruntime only; CUDA download off', (_, text) => {
    const majors = [...text.matchAll(/^FROM node:(\d+)/gm)].map((m) => Number(m[1]));
    expect(majors.length).toBeGreaterThan(0);
    const minMajor = Number(/>=(\d+)/.exec(pkg.engines.node)?.[1]);
    for (const major of majors) {
      expect([22, 24]).toContain(major);
      expect(major).toBeGreaterThanOrEqual(minMajor);
    }
    expect(minMajor).toBeGreaterThanOrEqual(22);
    expect(text).toMatch(/HEALTHCHECK[\s\S]*\/livez/);
    expect(text).not.toMatch(/HEALTHCHECK[\s\S]*\/health'/);
    expect(text).toMatch(/find node_modules\/onnxruntime-node\/bin .* ! -name linux -exec rm -rf/);
    expect(text).toMatch(/ENV ONNXRUNTIME_NODE_INSTALL=skip/);
  });
  it("npm never runs onnxruntime-node's CUDA download: allowScripts denies it and .npmrc has no deprecated key", () => {
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
    expect(readFileSync(join(repo, '.npmrc'), 'utf8')).not.toMatch(/^onnxruntime-node-install/m);
  });
  it('the GPU image checks what it downloads by integrity hash, not by version alone', () => {
    const cuda = readFileSync(join(repo, 'docker/Dockerfile.cuda'), 'utf8');
    const pack = [...cuda.matchAll(/npm pack ([^\s]+)/g)];
    expect(pack.length).toBeGreaterThan(0);
    expect(cuda).toMatch(/ARG ORT_CUDA_INTEGRITY=sha512-[A-Za-z0-9+/]{86}==/);
    expect(cuda).toMatch(/createHash\('sha512'\)[\s\S]*process\.exit\(1\)/);
    expect(cuda).not.toMatch(/curl|wget|ADD http/);
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
  it('gives Redis a maxmemory so noeviction applies', () => {
    expect(text).toMatch(/"--maxmemory", "\$\{REDIS_MAXMEMORY:-\d+mb\}"/);
  });
  it('every wick service uses the one image build, hardened (read-only root, no capabilities, no new privileges)', () => {
    const servicesSection = text.slice(text.indexOf('\nservices:\n'), text.indexOf('\nvolumes:\n'));
    const services = servicesSection.split(/^ {2}(?=[a-z-]+:\n)/m).filter((block) => /^[a-z-]+:\n/.test(block));
    const wick = services.filter((b) => !b.startsWith('redis:'));
    expect(wick.map((b) => b.split(':')[0])).toEqual(['wick', 'wick-demo', 'simulator', 'wick-sandbox']);
    for (const block of wick) {
      expect(block).toMatch(/<<: \[\*wick-image, \*wick-hardening\]/);
      expect(block).not.toMatch(/^\s+build:/m);
      expect(block).not.toMatch(/^\s+image:/m);
    }
    expect(text.match(/^\s+build:/gm)).toHaveLength(1);
    expect(text).toMatch(/x-wick-hardening: &wick-hardening\n {2}read_only: true\n[\s\S]*cap_drop: \[ALL\]\n {2}security_opt:\n {4}- no-new-privileges:true/);
  });
  it('the demo writes its JSON result and HTML report to a folder of the host', () => {
    expect(text).toMatch(/"--json", "results\/replay\.json", "--report", "results\/replay\.html"/);
    expect(text).toMatch(/- \.\/results:\/app\/results/);
  });
  it('runs wick in paper mode with restart and log rotation, publishing only on loopback', () => {
    expect(text).toMatch(/command: \["paper"\]/);
    expect(text).toMatch(/restart: unless-stopped/);
    expect(text).toMatch(/max-size/);
    expect(text).toMatch(/"127\.0\.0\.1:/);
  });
});
