import { cp, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModelFolder } from '../../test/support/random-model.js';
import { runWick } from '../../test/support/cli-run.js';
import { silentLogger } from '../core/logger.js';
import { contentId, loadingVerifier, ModelRegistry, RegistryError } from './registry.js';

let work: string;
let a: string;
let b: string;
let now = Date.UTC(2024, 0, 1);
const registry = (root: string): ModelRegistry => new ModelRegistry(root, { nowMs: () => now, verify: loadingVerifier(silentLogger) });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'wick-registry-'));
  a = await randomModelFolder({ seed: 1 });
  b = await randomModelFolder({ seed: 2 });
});
afterAll(async () => {
  for (const d of [work, a, b]) await rm(d, { recursive: true, force: true });
});

describe('ModelRegistry', () => {
  it('ids are derived from model.onnx and manifest.json: same content, same id; any byte changed, another id', async () => {
    const onnx = await readFile(join(a, 'model.onnx'));
    const text = await readFile(join(a, 'manifest.json'), 'utf8');
    expect(contentId(onnx, text)).toMatch(/^[0-9a-f]{16}$/);
    expect(contentId(onnx, text)).toBe(contentId(Buffer.from(onnx), `${text}`));
    expect(contentId(onnx, `${text} `)).not.toBe(contentId(onnx, text));
    const changed = Buffer.from(onnx);
    changed[100] = (changed[100] as number) ^ 1;
    expect(contentId(changed, text)).not.toBe(contentId(onnx, text));
  });

  it('adds, promotes, rolls back, records who did it and when, and keeps lineage', async () => {
    const reg = registry(join(work, 'r1'));
    const first = await reg.add(a, { parent: null, source: 'train', by: 'alice' });
    const again = await reg.add(a, { parent: null, source: 'train', by: 'bob' });
    expect(again.id).toBe(first.id);
    const second = await reg.add(b, { parent: first.id, source: 'trainer', by: 'trainer' });
    expect(second.lineage).toMatchObject({ parent: first.id, source: 'trainer', addedBy: 'trainer' });

    await reg.promote(first.id, 'alice', 'first model');
    now += 60_000;
    const p = await reg.promote(second.id.slice(0, 6), 'bob', 'better on the last 30 days');
    expect(p).toMatchObject({ id: second.id, previous: [first.id], promotedBy: 'bob', promotedAt: new Date(now).toISOString() });
    expect((await reg.find(second.id))?.champion).toBe(true);
    const back = await reg.rollback('carol', 'drawdown');
    expect(back).toMatchObject({ id: first.id, previous: [], promotedBy: 'carol' });
    await expect(reg.rollback('carol')).rejects.toMatchObject({ code: 'NO_PREVIOUS' });
    expect((await reg.history()).map((h) => [h.action, h.id, h.by])).toEqual([
      ['promote', first.id, 'alice'],
      ['promote', second.id, 'bob'],
      ['rollback', first.id, 'carol'],
    ]);
    // Nothing but the models, the pointer and the history: no staging leftovers, no lock.
    expect((await readdir(reg.root)).sort()).toEqual(['.staging', 'champion.json', 'history.jsonl', 'models']);
    expect(await readdir(join(reg.root, '.staging'))).toEqual([]);
  });

  it('refuses a truncated model at promotion with the reason; the champion is unchanged', async () => {
    const reg = registry(join(work, 'r2'));
    const good = await reg.add(a, { parent: null, source: 'train', by: 't' });
    const bad = await reg.add(b, { parent: null, source: 'train', by: 't' });
    await reg.promote(good.id, 't', 'start');
    await truncate(join(bad.dir, 'model.onnx'), 500);
    const error = await reg.promote(bad.id, 'mallory', 'try').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toMatch(/does not match its manifest .* truncated or changed/);
    expect((error as RegistryError).message).toContain(`The champion (${good.id}) is unchanged`);
    expect((await reg.champion())?.id).toBe(good.id);
    expect((await reg.history()).at(-1)).toMatchObject({ action: 'refused', id: bad.id, by: 'mallory' });
  });

  it('refuses a model whose feature spec this build does not compute, and one of another timeframe', async () => {
    const reg = registry(join(work, 'r3'));
    const good = await reg.add(a, { parent: null, source: 'train', by: 't' });
    await reg.promote(good.id, 't', 'start');
    const wrongSpec = join(work, 'wrong-spec');
    await cp(b, wrongSpec, { recursive: true });
    const m = JSON.parse(await readFile(join(wrongSpec, 'manifest.json'), 'utf8')) as { specHash: string; timeframe: string };
    m.specHash = 'ab'.repeat(32);
    await writeFile(join(wrongSpec, 'manifest.json'), JSON.stringify(m));
    const added = await reg.add(wrongSpec, { parent: null, source: 'add', by: 't' });
    await expect(reg.promote(added.id, 't', 'x')).rejects.toThrow(/feature definitions that differ from this build's/);
    m.specHash = JSON.parse(await readFile(join(b, 'manifest.json'), 'utf8')).specHash as string;
    m.timeframe = '4h';
    await writeFile(join(wrongSpec, 'manifest.json'), JSON.stringify(m));
    const other = await reg.add(wrongSpec, { parent: null, source: 'add', by: 't' });
    await expect(reg.promote(other.id, 't', 'x')).rejects.toThrow(/trained on 4h candles but the champion trades 1h/);
    expect((await reg.champion())?.id).toBe(good.id);
  });

  it('a second promotion while one holds the lock is refused, not interleaved', async () => {
    const reg = registry(join(work, 'r4'));
    const x = await reg.add(a, { parent: null, source: 'train', by: 't' });
    const y = await reg.add(b, { parent: null, source: 'train', by: 't' });
    const results = await Promise.allSettled([reg.promote(x.id, 't', '1'), reg.promote(y.id, 't', '2')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'BUSY' } });
  });

  it('a crash while registering leaves no model visible (staging is not listed)', async () => {
    const root = join(work, 'r5');
    const reg = registry(root);
    await cp(a, join(root, '.staging', 'abcdabcdabcdabcd-1234'), { recursive: true });
    await truncate(join(root, '.staging', 'abcdabcdabcdabcd-1234', 'model.onnx'), 10);
    expect(await reg.list()).toEqual([]);
    expect(await reg.find('abcdabcdabcdabcd')).toBeNull();
  });
});

describe('wick model', () => {
  it('add, list, promote, show and rollback through the CLI; a refused promotion exits 2 with the reason', async () => {
    const root = join(work, 'cli');
    const env = { WICK_MODEL_REGISTRY: root };
    const added = await runWick(['model', 'add', a, '--by', 'ops'], env);
    expect(added.code, added.err).toBe(0);
    const id = (JSON.parse(added.out) as { id: string }).id;
    const idB = (JSON.parse((await runWick(['model', 'add', b, '--parent', id], env)).out) as { id: string }).id;
    expect((await runWick(['model', 'promote', id, '--by', 'ops', '--reason', 'first'], env)).code).toBe(0);
    expect((await runWick(['model', 'promote', idB.slice(0, 8)], env)).code).toBe(0);
    const list = await runWick(['model', 'list'], env);
    expect(list.out).toMatch(new RegExp(`^\\* ${idB} `, 'm'));
    expect(list.out).toMatch(new RegExp(`^  ${id} `, 'm'));
    const show = JSON.parse((await runWick(['model', 'show', idB], env)).out) as { parent: string; history: { action: string }[] };
    expect(show.parent).toBe(id);
    expect(show.history.map((h) => h.action)).toEqual(['promote']);
    expect((await runWick(['model', 'rollback', '--by', 'ops'], env)).code).toBe(0);
    expect((await runWick(['model', 'list'], env)).out).toMatch(new RegExp(`^\\* ${id} `, 'm'));
    const missing = await runWick(['model', 'promote', 'ffffffff'], env);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no model ffffffff');
    const none = await runWick(['model', 'list']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('WICK_MODEL_REGISTRY');
  });
});
