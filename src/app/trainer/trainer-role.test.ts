import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModelFolder } from '../../../test/support/random-model.js';
import { silentLogger } from '../../core/index.js';
import { loadingVerifier, ModelRegistry } from '../../model/registry.js';
import { parseDaemonArgs } from '../cli-args.js';
import { UsageError } from '../command.js';
import { loadConfig } from '../config/load-config.js';
import type { WickRunner } from './retrain.js';
import { startTrainerRole } from './trainer-role.js';

let root: string;
let model: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wick-trainer-role-'));
  model = await randomModelFolder({ seed: 3 });
});
afterAll(async () => {
  for (const d of [root, model]) await rm(d, { recursive: true, force: true });
});

describe('trainer role', () => {
  it('--role trainer needs WICK_RETRAIN_EVERY; all includes the trainer only when it is set', () => {
    expect(() => parseDaemonArgs(['--role', 'trainer'], 'all', { retrainEnabled: false })).toThrow(UsageError);
    expect(parseDaemonArgs(['--role', 'trainer'], 'all', { retrainEnabled: true })).toMatchObject({ roles: [], trainer: true });
    expect(parseDaemonArgs([], 'all', { retrainEnabled: true })).toMatchObject({ roles: ['ingest', 'signal', 'trader'], trainer: true });
    expect(parseDaemonArgs([], 'all', { retrainEnabled: false }).trainer).toBe(false);
    expect(parseDaemonArgs(['--role', 'signal'], 'all', { retrainEnabled: true }).trainer).toBe(false);
    expect(loadConfig({ WICK_RETRAIN_EVERY: '7d' }).retrain.everyMs).toBe(7 * 86_400_000);
    expect(loadConfig({ WICK_RETRAIN_EVERY: '12h' }).retrain.everyMs).toBe(12 * 3_600_000);
    expect(loadConfig({}).retrain.everyMs).toBeNull();
    expect(() => loadConfig({ WICK_RETRAIN_EVERY: 'weekly' })).toThrow(/WICK_RETRAIN_EVERY/);
  });

  it('runs when due, records the run, keeps the champion when the run fails, and runs one retraining at a time', async () => {
    const registryDir = join(root, 'registry');
    const registry = new ModelRegistry(registryDir, { nowMs: () => 0, verify: loadingVerifier(silentLogger) });
    const champion = await registry.add(model, { parent: null, source: 'train', by: 'test' });
    await registry.promote(champion.id, 'test', 'start');
    let trainCalls = 0;
    const runWick: WickRunner = async (args) => {
      if (args[0] === 'train') trainCalls++;
      return { code: 1, stdout: '', stderr: 'out of memory\n' };
    };
    const now = Date.UTC(2024, 0, 8);
    const role = startTrainerRole({
      config: loadConfig({ WICK_RETRAIN_EVERY: '7d', WICK_MODEL_REGISTRY: registryDir }),
      cwd: root,
      series: [{ exchange: 'x', symbol: 'BTC/USDT', timeframe: '1h' }],
      history: { range: () => Promise.resolve([{ openTimeMs: now - 3_600_000, open: 1, high: 1, low: 1, close: 1, volume: 1 }]) },
      logger: silentLogger,
      notifier: null,
      env: {},
      nowMs: () => now,
      runWick,
    });
    try {
      const [a, b] = await Promise.all([role.runNow(), role.runNow()]);
      expect(a).toBe(b);
      expect(a).toMatchObject({ status: 'failed', reason: 'training the challenger failed (exit 1): out of memory' });
      expect(trainCalls).toBe(1);
      expect(JSON.parse(await readFile(join(registryDir, 'trainer.json'), 'utf8'))).toEqual({ lastRunAtMs: now });
      expect((await registry.champion())?.id).toBe(champion.id);
      expect((await readdir(registryDir)).includes('.trainer-lock')).toBe(false);
    } finally {
      await role.stop();
    }
  });
});
