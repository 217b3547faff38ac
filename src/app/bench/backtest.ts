import { availableParallelism } from 'node:os';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../../core/logger.js';
import type { SignalModel } from '../../core/ports.js';
import { scoreBacktestSeries, tradeScoredSeries } from '../../backtest/engine.js';
import { getSpec } from '../../features/index.js';
import { readCandles } from '../../market/candle-csv.js';
import { SAMPLE_DATA_DIR, sharedDataDir } from '../../market/candle-csv-shared-data.js';
import type { ModelManifest } from '../../model/manifest.js';
import { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import { ThreadedSignalModel } from '../../model/threaded-signal-model.js';
import { loadConfig } from '../config/load-config.js';
import { fillModelFor, orderManagerConfigFor, policyFor, riskConfigFor, simulatedMarketRules } from '../trading-setup.js';
import { benchModelDir } from './inference.js';

/**
 * Floating-point operations of one window's forward pass (a multiply-add counts 2; gate nonlinearities
 * not counted). Null for an imported model, whose graph wick does not know.
 */
export function lstmFlopsPerWindow(manifest: Pick<ModelManifest, 'architecture' | 'featureCount' | 'windowLength'>): number | null {
  const arch = manifest.architecture;
  if ('kind' in arch) return null;
  const { hidden: H, layers, outputs: K } = arch;
  let flops = 2 * K * H;
  for (let l = 0; l < layers; l++) flops += manifest.windowLength * 2 * 4 * H * ((l === 0 ? manifest.featureCount : H) + H);
  return flops;
}

/**
 * Backtest throughput with the LSTM in the loop: the whole BTC/USDT hourly file (the committed
 * synthetic sample when the real data is absent) through features, batched ONNX inference, policy,
 * risk engine, order manager and paper broker. Best of three runs, each timed by phase:
 * score (features of every window in one pass, the model in batches of 1024 over every core's
 * inference thread while the next batch's windows are built) and trade (the kernel over the
 * precomputed decisions). The peer in the same run: the same backtest on one onnxruntime session
 * with two intra-op threads (`backtest.candlesPerSecOneSession`).
 */
export async function benchBacktest(): Promise<Record<string, number>> {
  const shared = sharedDataDir();
  const file = shared !== undefined ? join(shared, 'BTC_USDT-1h.csv') : join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv');
  const candles = await readCandles(file);
  const { dir, scratch } = await benchModelDir();
  const threads = availableParallelism();
  const session = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger, cpuThreads: 2 });
  const threaded = await ThreadedSignalModel.start(
    await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger, cpuThreads: 1 }),
    dir,
    threads,
  );
  const config = loadConfig({});
  const manifest = session.manifest;
  const run = async (model: SignalModel): Promise<{ total: number; score: number; trade: number; windows: number }> => {
    let best = { total: Infinity, score: 0, trade: 0, windows: 0 };
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const series = [{ key: { exchange: 'bench', symbol: 'BTC/USDT', timeframe: '1h' as const }, candles }];
      const scored = await scoreBacktestSeries({
        series,
        model,
        featureSpec: getSpec(manifest.featureSpec.name),
        normalisation: { mean: manifest.normalisation.mean, std: manifest.normalisation.std },
        inferenceBatch: 1024,
      });
      const scoredAt = performance.now();
      await tradeScoredSeries(
        {
          model: model.info,
          policy: policyFor(model.info, config, manifest.policyCalibration),
          orderManager: orderManagerConfigFor(config, 'bench'),
          risk: riskConfigFor(config),
          rules: simulatedMarketRules(['BTC/USDT']),
          fillModel: fillModelFor(config),
        },
        scored,
      );
      const ended = performance.now();
      const K = model.info.horizons.length;
      let windows = 0;
      for (let r = 0; r < scored[0]!.candles.length; r++) if (!Number.isNaN(scored[0]!.predictions[r * K])) windows++;
      if (ended - started < best.total) best = { total: ended - started, score: scoredAt - started, trade: ended - scoredAt, windows };
    }
    return best;
  };
  try {
    const one = await run(session);
    const many = await run(threaded);
    const flops = lstmFlopsPerWindow(manifest);
    if (flops === null) throw new Error("bench backtest: the bench model must be one of wick's LSTMs");
    return {
      'backtest.candlesPerSec': Math.round(candles.length / (many.total / 1000)),
      'backtest.candles': candles.length,
      'backtest.inferenceThreads': threads,
      'backtest.scoreMs': Math.round(many.score),
      'backtest.tradeMs': Math.round(many.trade),
      'backtest.scoreGflops': Number(((many.windows * flops) / (many.score / 1000) / 1e9).toFixed(1)),
      'backtest.candlesPerSecOneSession': Math.round(candles.length / (one.total / 1000)),
    };
  } finally {
    await session.close();
    await threaded.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}
