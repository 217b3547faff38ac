import type { SignalModel, SignalModelInfo } from '../core/ports.js';

interface Request {
  readonly windows: Float32Array;
  readonly batch: number;
  readonly resolve: (values: Float64Array) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs the windows that are ready at once in ONE call of the inner model: when many series close
 * a candle at the same boundary, their signal steps run concurrently and each asks for one window;
 * this layer gathers every request made before the next turn of the event loop (and, while a call
 * is running, every request made meanwhile) into one batch. A lone request costs one
 * setImmediate more than calling the model directly. Each caller gets exactly its own rows back;
 * onnxruntime's output for a window does not depend on the other rows of its batch, so decisions
 * are the same as one call per window.
 */
export class BatchingSignalModel implements SignalModel {
  private queue: Request[] = [];
  private scheduled = false;
  private running = false;
  /** Batches run and windows inferred, for tests and metrics. */
  batches = 0;
  windows = 0;

  constructor(
    private readonly inner: SignalModel,
    /** Most windows in one call (a larger backlog runs as several calls). */
    private readonly maxBatch = 1024,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  }

  get info(): SignalModelInfo {
    return this.inner.info;
  }

  predict(windows: Float32Array, batch: number): Promise<Float64Array> {
    const { windowLength: T, featureCount: F } = this.inner.info;
    if (!Number.isInteger(batch) || batch < 1 || windows.length < batch * T * F) {
      return Promise.reject(new RangeError(`predict: ${windows.length} values given for ${batch} windows of ${T}×${F}`));
    }
    // A large request (a backtest chunk) gains nothing from company: run it as it is.
    if (batch >= this.maxBatch) return this.inner.predict(windows, batch);
    return new Promise((resolve, reject) => {
      // The caller may reuse its buffer once it has yielded: keep a copy.
      this.queue.push({ windows: windows.slice(0, batch * T * F), batch, resolve, reject });
      this.schedule();
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const { windowLength: T, featureCount: F, horizons } = this.inner.info;
    const K = horizons.length;
    // Whole requests up to maxBatch windows (at least one).
    let n = 0;
    let take = 0;
    while (take < this.queue.length && (take === 0 || n + this.queue[take]!.batch <= this.maxBatch)) n += this.queue[take++]!.batch;
    const group = this.queue.splice(0, take);
    try {
      let input: Float32Array;
      if (group.length === 1) input = group[0]!.windows;
      else {
        input = new Float32Array(n * T * F);
        let at = 0;
        for (const r of group) {
          input.set(r.windows, at);
          at += r.windows.length;
        }
      }
      this.batches++;
      this.windows += n;
      const out = await this.inner.predict(input, n);
      let row = 0;
      for (const r of group) {
        r.resolve(out.slice(row * K, (row + r.batch) * K));
        row += r.batch;
      }
    } catch (error) {
      for (const r of group) r.reject(error);
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
