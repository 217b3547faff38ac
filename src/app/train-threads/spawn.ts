import { availableParallelism } from 'node:os';
import { spawnModuleWorker } from '../../model/module-worker.js';
import type { GradientWorkerData, ParallelOptions } from '../../train/data-parallel.js';

/** Starts serveGradientWorker on a new thread. */
export function spawnGradientWorker(data: GradientWorkerData): { terminate(): void } {
  const worker = spawnModuleWorker(new URL('./gradient-worker', import.meta.url), import.meta.url, data);
  // The calling thread learns of a failure through the shared control words (it is blocked in
  // Atomics.wait while workers run); an 'error' event must not crash the process on top of that.
  worker.on('error', () => undefined);
  return {
    terminate: () => {
      void worker.terminate();
    },
  };
}

/** Every core by default (availableParallelism); at least 1. */
export function defaultTrainingThreads(): number {
  return Math.max(1, availableParallelism());
}

/** Parallel options for train(): `threads` threads (the calling one included). */
export function trainingParallelism(threads: number = defaultTrainingThreads()): ParallelOptions {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  return { threads, spawn: spawnGradientWorker };
}
