import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../../core/logger.js';
import { runBacktest } from '../../backtest/engine.js';
import { getSpec } from '../../features/index.js';
import { readCandles } from '../../market/candle-csv.js';
import { SAMPLE_DATA_DIR, sharedDataDir } from '../../market/candle-csv-shared-data.js';
import { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import { loadConfig } from '../config/load-config.js';
import { fillModelFor, orderManagerConfigFor, policyFor, riskConfigFor, simulatedMarketRules } from '../trading-setup.js';
import { benchModelDir } from './inference.js';

/**
 * Backtest throughput with the LSTM in the loop: the whole BTC/USDT hourly file (the committed
 * synthetic sample when the real data is absent) through features, batched ONNX inference, policy,
 * risk engine, order manager and paper broker. Best of three runs.
 */
export async function benchBacktest(): Promise<Record<string, number>> {
  const shared = sharedDataDir();
  const file = shared !== undefined ? join(shared, 'BTC_USDT-1h.csv') : join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv');
  const candles = await readCandles(file);
  const { dir, scratch } = await benchModelDir();
  const model = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger, cpuThreads: 2 });
  const config = loadConfig({});
  try {
    let best = 0;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const run = await runBacktest({
        series: [{ key: { exchange: 'bench', symbol: 'BTC/USDT', timeframe: '1h' }, candles }],
        model,
        featureSpec: getSpec(model.manifest.featureSpec.name),
        normalisation: { mean: model.manifest.normalisation.mean, std: model.manifest.normalisation.std },
        policy: policyFor(model.info, config, model.manifest.policyCalibration),
        orderManager: orderManagerConfigFor(config, 'bench'),
        risk: riskConfigFor(config),
        rules: simulatedMarketRules(['BTC/USDT']),
        fillModel: fillModelFor(config),
        inferenceBatch: 1024,
      });
      best = Math.max(best, run.candlesProcessed / ((performance.now() - started) / 1000));
    }
    return { 'backtest.candlesPerSec': Math.round(best), 'backtest.candles': candles.length };
  } finally {
    await model.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}
