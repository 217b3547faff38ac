// Entry of an inference thread: one onnxruntime CPU session (1 intra-op thread) answering batches.
import { parentPort, workerData } from 'node:worker_threads';
import { silentLogger } from '../core/logger.js';
import { OnnxSignalModel } from './onnx-signal-model.js';

interface Init {
  readonly dir: string;
}
interface Ask {
  readonly id: number;
  readonly windows: Float32Array;
  readonly batch: number;
}

const port = parentPort!;
const { dir } = workerData as Init;
OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger, cpuThreads: 1 }).then(
  (model) => {
    port.on('message', (ask: Ask | 'close') => {
      if (ask === 'close') {
        void model.close().then(() => port.close());
        return;
      }
      model.predict(ask.windows, ask.batch).then(
        (values) => port.postMessage({ id: ask.id, values }, [values.buffer as ArrayBuffer]),
        (err: unknown) => port.postMessage({ id: ask.id, error: err instanceof Error ? err.message : String(err) }),
      );
    });
    port.postMessage({ ready: true });
  },
  (err: unknown) => port.postMessage({ ready: false, error: err instanceof Error ? err.message : String(err) }),
);
