import { availableParallelism } from 'node:os';
import type { Logger } from '../core/logger.js';
import { OnnxSignalModel } from '../model/onnx-signal-model.js';
import { ThreadedSignalModel } from '../model/threaded-signal-model.js';
import type { Config } from './config/load-config.js';

/** Below this many candles to score, starting inference threads costs more than it saves. */
export const THREADED_SCORING_MIN_CANDLES = 20_000;

/**
 * The model a backtest scores `candles` candles with: on the CPU provider and for a long enough
 * run, one onnxruntime session per core in worker threads (the score phase runs batches of 1024
 * across every core); otherwise the one session. Either way the values are those of one CPU
 * session per window.
 */
export async function loadBacktestModel(dir: string, config: Config, logger: Logger, candles: number): Promise<OnnxSignalModel | ThreadedSignalModel> {
  const model = await OnnxSignalModel.load(dir, {
    executionProvider: config.model.executionProvider,
    cudaStrict: config.model.cudaStrict,
    logger,
    cpuThreads: 2,
  });
  const cores = availableParallelism();
  if (model.info.executionProvider !== 'cpu' || cores < 2 || candles < THREADED_SCORING_MIN_CANDLES) return model;
  try {
    return await ThreadedSignalModel.start(model, dir, cores);
  } catch (error) {
    await model.close();
    throw error;
  }
}
