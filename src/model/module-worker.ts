import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on a module of this code base, given its URL without extension
 * (`new URL('./x', import.meta.url)`). Run from source (tsx, vitest) the module is a .ts file and
 * the thread registers tsx's loader itself (Node 20 does not hand a worker its parent's loader
 * hooks); built, it is the plain .js file.
 */
export function spawnModuleWorker(moduleUrl: URL, fromSourceUrl: string, workerData: unknown): Worker {
  const fromSource = fromSourceUrl.endsWith('.ts');
  const url = new URL(`${moduleUrl.href}.${fromSource ? 'ts' : 'js'}`);
  return fromSource
    ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData })
    : new Worker(url, { workerData });
}
