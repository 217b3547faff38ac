import { availableParallelism } from 'node:os';
import type { Logger } from '../core/logger.js';
import { OnnxSignalModel } from '../model/onnx-signal-model.js';
import { ThreadedSignalModel } from '../model/threaded-signal-model.js';
import type { Config } from './config/load-config.js';

/**
 * The model a backtest scores with: on the CPU provider, one onnxruntime session per core in worker
 * threads (the score phase runs batches of 1024 across every core); on CUDA, the one session.
 * Either way the values are those of one CPU session per window.
 */
export async function loadBacktestModel(dir: string, config: Config, logger: Logger): Promise<OnnxSignalModel | ThreadedSignalModel> {
  const model = await OnnxSignalModel.load(dir, { executionProvider: config.model.executionProvider, cudaStrict: config.model.cudaStrict, logger, cpuThreads: 2 });
  const cores = availableParallelism();
  if (model.info.executionProvider !== 'cpu' || cores < 2) return model;
  try {
    return await ThreadedSignalModel.start(model, dir, cores);
  } catch (error) {
    await model.close();
    throw error;
  }
}
