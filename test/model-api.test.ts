import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryModelPort } from '../src/app/model-port.js';
import { silentLogger } from '../src/core/logger.js';
import { loadingVerifier, ModelRegistry, type RegistryEntry } from '../src/model/registry.js';
import { startHealthServer, type HealthServer } from '../src/obs/health-server.js';
import { createModelApi, modelControlBodySchema } from '../src/obs/model-api.js';
import { randomModelFolder } from './support/random-model.js';

const TOKEN = 'model-api-test-token-0123456789';
let root: string;
let folders: string[];
let server: HealthServer;
let registry: ModelRegistry;
let a: RegistryEntry;
let b: RegistryEntry;
let bad: RegistryEntry;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wick-model-api-'));
  folders = await Promise.all([1, 2, 3].map((seed) => randomModelFolder({ seed })));
  registry = new ModelRegistry(root, { nowMs: () => Date.UTC(2024, 5, 1), verify: loadingVerifier(silentLogger) });
  a = await registry.add(folders[0]!, { parent: null, source: 'train', by: 'test' });
  b = await registry.add(folders[1]!, { parent: a.id, source: 'trainer', by: 'test' });
  bad = await registry.add(folders[2]!, { parent: null, source: 'train', by: 'test' });
  await truncate(join(bad.dir, 'model.onnx'), 300);
  await registry.promote(a.id, 'test', 'start');
  server = await startHealthServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    healthProbe: async () => ({
      mode: 'paper',
      redis: { reachable: true },
      series: [],
      queues: { candles: 0, intents: 0 },
      risk: { state: 'NORMAL', halted: false },
    }),
    extraHandler: createModelApi({ port: registryModelPort(registry), token: TOKEN }),
  });
});
afterAll(async () => {
  await server.close();
  for (const d of [root, ...folders]) await rm(d, { recursive: true, force: true });
});

type Body = Record<string, unknown> & { error: { message: string } } & { id: string; champion?: boolean; unreadable?: string }[];

const call = async (path: string, init: RequestInit & { token?: string | null } = {}): Promise<{ status: number; body: Body }> => {
  const token = init.token === undefined ? TOKEN : init.token;
  const res = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
  });
  return { status: res.status, body: (await res.json()) as Body };
};

describe('model API', () => {
  it('needs the bearer token', async () => {
    expect((await call('/api/models', { token: null })).status).toBe(401);
    expect((await call('/api/models', { token: 'wrong-token-wrong-token' })).status).toBe(401);
    expect((await call(`/api/models/${a.id}/promote`, { method: 'POST', token: null })).status).toBe(401);
  });

  it('lists and shows models, the champion marked', async () => {
    const list = await call('/api/models');
    expect(list.status).toBe(200);
    expect(list.body.map((m) => [m.id, m.champion ?? null]).sort()).toEqual(
      [
        [a.id, true],
        [b.id, false],
        [bad.id, null],
      ].sort(),
    );
    expect(list.body.find((m) => m.id === bad.id)?.unreadable).toMatch(/truncated or changed/);
    const show = await call(`/api/models/${b.id}`);
    expect(show.body).toMatchObject({ id: b.id, parent: a.id, source: 'trainer' });
    expect((await call('/api/models/0123456789abcdef')).status).toBe(404);
  });

  it('promotes and rolls back; a truncated model is refused with 409 and the champion stays', async () => {
    const refused = await call(`/api/models/${bad.id}/promote`, { method: 'POST', body: JSON.stringify({ reason: 'try it' }) });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/truncated or changed/);
    expect((await registry.champion())?.id).toBe(a.id);
    const promoted = await call(`/api/models/${b.id}/promote`, { method: 'POST', body: JSON.stringify({ reason: 'better' }) });
    expect(promoted).toMatchObject({ status: 200, body: { status: 'ok', champion: b.id, previous: [a.id] } });
    expect((await registry.champion())?.reason).toBe('better');
    expect((await registry.champion())?.promotedBy).toMatch(/^127\.0\.0\.1 /);
    expect((await call('/api/models/rollback', { method: 'POST' })).body).toMatchObject({ status: 'ok', champion: a.id });
    expect((await call('/api/models/rollback', { method: 'POST' })).status).toBe(409);
    expect((await call(`/api/models/${a.id}/promote`)).status).toBe(405);
  });

  it('rejects malformed control bodies with 400 and accepts only { reason?: string }', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 40 }), fc.json({ maxDepth: 2 })), async (text) => {
        let parsed: unknown = Symbol('invalid');
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        const valid = text.trim() === '' || (typeof parsed !== 'symbol' && modelControlBodySchema.safeParse(parsed).success);
        const r = await call('/api/models/rollback', { method: 'POST', body: text });
        // A valid body reaches the registry (ok or nothing to roll back to); an invalid one never does.
        expect(r.status === 400).toBe(!valid);
      }),
      { numRuns: 60, seed: 5 },
    );
  });
});
