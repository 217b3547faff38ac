import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModelFolder } from '../../../test/support/random-model.js';
import { silentLogger, type Candle, type SeriesKey } from '../../core/index.js';
import { computeFeatures, fitNormalisation, SCALE_FREE_SPEC } from '../../features/index.js';
import { readCandles } from '../../market/candle-csv.js';
import { SAMPLE_DATA_DIR } from '../../market/candle-csv-shared-data.js';
import { loadingVerifier, ModelRegistry } from '../../model/registry.js';
import { childWickRunner, retrainOnce, type WickRunner } from './retrain.js';

const BTC: SeriesKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
let work: string;
let champion: string;
let silent: string;
let candles: Candle[];
const child = childWickRunner({ env: { PATH: process.env['PATH'] }, cwd: process.cwd() });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'wick-retrain-'));
  candles = await readCandles(join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv'));
  // Normalised like a trained model, so its (untrained) outputs move with the market and it trades.
  const f = computeFeatures(candles, SCALE_FREE_SPEC, 3_600_000);
  const norm = fitNormalisation(f.raw, f.ready, f.featureCount, 0, candles.length);
  champion = await randomModelFolder({ seed: 5, scale: 50, normalisation: { mean: [...norm.mean], std: [...norm.std] } });
  // Predicted moves a million times too small to cross the entry threshold: it never trades.
  silent = await randomModelFolder({ seed: 6, scale: 1e8 });
});
afterAll(async () => {
  for (const d of [work, champion, silent]) await rm(d, { recursive: true, force: true });
});

async function setup(name: string): Promise<{ registry: ModelRegistry; championId: string }> {
  const registry = new ModelRegistry(join(work, name), { nowMs: () => Date.UTC(2024, 0, 1), verify: loadingVerifier(silentLogger) });
  const entry = await registry.add(champion, { parent: null, source: 'train', by: 'test' });
  await registry.promote(entry.id, 'test', 'start');
  return { registry, championId: entry.id };
}

const deps = (registry: ModelRegistry, runWick: WickRunner) => ({
  registry,
  history: { range: () => Promise.resolve(candles) },
  series: [BTC],
  settings: { margin: 0.1, evalDays: 10, epochs: 1 },
  logger: silentLogger,
  workDir: join(work, 'scratch'),
  runWick,
});

describe('retrainOnce', () => {
  it('rejects a worse challenger with its reason; the champion keeps trading and the challenger stays registered with its lineage', async () => {
    const { registry, championId } = await setup('worse');
    // "Training" yields the silent model; the evaluations are real `wick backtest` child processes.
    const runWick: WickRunner = async (args) => {
      if (args[0] !== 'train') return child(args);
      await cp(silent, args[args.indexOf('--out') + 1]!, { recursive: true });
      return { code: 0, stdout: '', stderr: '' };
    };
    const outcome = await retrainOnce(deps(registry, runWick));
    expect(outcome.status).toBe('rejected');
    if (outcome.status !== 'rejected') return;
    expect(outcome.evaluations.challenger.trades).toBe(0);
    expect(outcome.evaluations.champion.trades).toBeGreaterThan(0);
    expect(outcome.reason).toMatch(/^not better by the margin: challenger Sharpe none \(0 trades\) vs champion -?\d+\.\d{3} \(\d+ trades\), margin 0\.1$/);
    expect((await registry.champion())?.id).toBe(championId);
    expect((await registry.find(outcome.challenger))?.lineage).toMatchObject({ parent: championId, source: 'trainer', addedBy: 'trainer' });
    expect((await registry.history()).at(-1)).toMatchObject({
      action: 'rejected',
      id: outcome.challenger,
      by: 'trainer',
      reason: expect.stringContaining(outcome.reason),
    });
    expect(await readdir(join(work, 'scratch'))).toEqual([]);
  }, 120_000);

  it('a crash while training leaves the champion trading, nothing new registered, and the failure recorded', async () => {
    const { registry, championId } = await setup('crash');
    const runWick: WickRunner = async (args) => (args[0] === 'train' ? { code: 137, stdout: '', stderr: 'Killed\n' } : child(args));
    const outcome = await retrainOnce(deps(registry, runWick));
    expect(outcome).toMatchObject({ status: 'failed', champion: championId, reason: 'training the challenger failed (exit 137): Killed' });
    expect((await registry.list()).length).toBe(1);
    expect((await registry.champion())?.id).toBe(championId);
    expect((await registry.history()).at(-1)).toMatchObject({ action: 'failed', by: 'trainer' });
  });

  it('trains a real challenger in a child process on the history before the evaluation window and decides by the rule', async () => {
    const { registry, championId } = await setup('real');
    const outcome = await retrainOnce(deps(registry, child));
    expect(['promoted', 'rejected']).toContain(outcome.status);
    if (outcome.status !== 'promoted' && outcome.status !== 'rejected') return;
    const challenger = await registry.find(outcome.challenger);
    // Trained only on candles before the 10-day evaluation window.
    const evalFrom = candles.at(-1)!.openTimeMs + 3_600_000 - 10 * 86_400_000;
    expect(challenger!.lineage.dataToMs).toBeLessThan(evalFrom);
    expect(challenger!.manifest.windowLength).toBe(16);
    expect((await registry.champion())?.id).toBe(outcome.status === 'promoted' ? outcome.challenger : championId);
  }, 180_000);

  it('skips an imported champion, which it cannot retrain', async () => {
    const registry = new ModelRegistry(join(work, 'imported'), { nowMs: () => 0, verify: loadingVerifier(silentLogger) });
    const imported = join(work, 'imported-model');
    const { runWick } = { runWick: child };
    const r = await runWick([
      'model',
      'import',
      '--onnx',
      join(process.cwd(), 'test/fixtures/foreign-onnx/foreign-lstm.onnx'),
      '--spec',
      'scale-free',
      '--window',
      '32',
      '--horizons',
      '3',
      '--target',
      'ratio',
      '--data',
      join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv'),
      '--train-to',
      '2022-03-01',
      '--out',
      imported,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const entry = await registry.add(imported, { parent: null, source: 'import', by: 'test' });
    await registry.promote(entry.id, 'test', 'start');
    expect(await retrainOnce(deps(registry, child))).toMatchObject({ status: 'skipped', reason: expect.stringContaining('imported network') });
  }, 60_000);
});
