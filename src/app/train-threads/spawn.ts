import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { GradientWorkerData, ParallelOptions } from '../../train/data-parallel.js';

// Run from source (tsx, vitest) the worker is a .ts file: the thread registers tsx's loader itself
// (Node 20 does not pass the parent's loader hooks to a worker). Built, it is a plain .js file.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./gradient-worker.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url);

/** Starts serveGradientWorker on a new thread. */
export function spawnGradientWorker(data: GradientWorkerData): { terminate(): void } {
  const worker = FROM_SOURCE
    ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); })`, { eval: true, workerData: data })
    : new Worker(WORKER_URL, { workerData: data });
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
