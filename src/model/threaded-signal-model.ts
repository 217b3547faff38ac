import type { Worker } from 'node:worker_threads';
import type { SignalModel, SignalModelInfo } from '../core/ports.js';
import { spawnModuleWorker } from './module-worker.js';
import type { OnnxSignalModel } from './onnx-signal-model.js';

interface Pending {
  readonly resolve: (values: Float64Array) => void;
  readonly reject: (error: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

type Reply = { readonly id: number; readonly values?: Float64Array; readonly error?: string } | { readonly ready: boolean; readonly error?: string };

/**
 * Large batches over several cores: each worker thread holds its own onnxruntime CPU session with
 * one intra-op thread, and a batch is cut into contiguous row ranges, one per thread. The calling
 * thread is free while they run (onnxruntime runs a session synchronously on the thread that calls
 * it), so a backtest builds the next batch's windows meanwhile. onnxruntime's output for a window
 * does not depend on the other rows of its batch, so the values equal one call on one session.
 * Batches smaller than `minRowsPerThread` × 2 run on `local`, the calling thread's own session.
 */
export class ThreadedSignalModel implements SignalModel {
  private nextId = 0;
  private closed = false;

  private constructor(
    private readonly local: OnnxSignalModel,
    private readonly threads: readonly Thread[],
    private readonly minRowsPerThread: number,
  ) {}

  /** Starts `threads` inference threads on the model folder `local` was loaded from. */
  static async start(local: OnnxSignalModel, dir: string, threads: number, minRowsPerThread = 64): Promise<ThreadedSignalModel> {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const started: Thread[] = [];
    try {
      for (let k = 0; k < threads; k++) {
        const worker = spawnModuleWorker(new URL('./onnx-worker', import.meta.url), import.meta.url, { dir });
        const thread: Thread = { worker, pending: new Map() };
        started.push(thread);
        await new Promise<void>((resolve, reject) => {
          const onReady = (m: Reply): void => {
            if (!('ready' in m)) return;
            worker.off('message', onReady);
            if (m.ready) resolve();
            else reject(new Error(`inference thread could not load the model: ${m.error ?? 'unknown error'}`));
          };
          worker.on('message', onReady);
          worker.once('error', reject);
        });
        worker.on('message', (m: Reply) => {
          if ('ready' in m) return;
          const p = thread.pending.get(m.id);
          if (p === undefined) return;
          thread.pending.delete(m.id);
          if (m.values !== undefined) p.resolve(m.values);
          else p.reject(new Error(`inference thread: ${m.error ?? 'unknown error'}`));
        });
        const failAll = (why: string) => () => {
          for (const p of thread.pending.values()) p.reject(new Error(`inference thread ${why}`));
          thread.pending.clear();
        };
        worker.on('error', (err) => failAll(`failed: ${err.message}`)());
        worker.on('exit', failAll('exited'));
      }
    } catch (error) {
      await Promise.all(started.map((t) => t.worker.terminate()));
      throw error;
    }
    return new ThreadedSignalModel(local, started, minRowsPerThread);
  }

  get info(): SignalModelInfo {
    return this.local.info;
  }

  get manifest(): OnnxSignalModel['manifest'] {
    return this.local.manifest;
  }

  async predict(windows: Float32Array, batch: number): Promise<Float64Array> {
    if (this.closed) throw new Error('the threaded model is closed');
    const { windowLength: T, featureCount: F, horizons } = this.local.info;
    const K = horizons.length;
    if (!Number.isInteger(batch) || batch < 1 || windows.length < batch * T * F)
      throw new RangeError(`predict: ${windows.length} values given for ${batch} windows of ${T}×${F}`);
    const parts = Math.min(this.threads.length, Math.floor(batch / this.minRowsPerThread));
    if (parts < 2) return this.local.predict(windows, batch);
    const asks: Promise<Float64Array>[] = [];
    let row = 0;
    for (let k = 0; k < parts; k++) {
      const n = Math.floor(batch / parts) + (k < batch % parts ? 1 : 0);
      // A copy per thread, transferred: the caller may refill its buffer while the threads run.
      const chunk = windows.slice(row * T * F, (row + n) * T * F);
      const thread = this.threads[k]!;
      const id = this.nextId++;
      asks.push(
        new Promise<Float64Array>((resolve, reject) => {
          thread.pending.set(id, { resolve, reject });
          thread.worker.postMessage({ id, windows: chunk, batch: n }, [chunk.buffer]);
        }),
      );
      row += n;
    }
    const results = await Promise.all(asks);
    const out = new Float64Array(batch * K);
    let at = 0;
    for (const r of results) {
      out.set(r, at);
      at += r.length;
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
    await this.local.close();
  }
}
