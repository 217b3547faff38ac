import { benchBacktest } from './backtest.js';
import { benchBurst } from './burst.js';
import { benchFeatures } from './features.js';
import { benchInference } from './inference.js';
import { benchPipeline } from './pipeline.js';
import { benchSoak } from './soak.js';
import { benchStartup } from './startup.js';
import { benchTrain } from './train.js';

export type Benchmark = () => Promise<Record<string, number>>;

/** Every benchmark, by the prefix of the figures it reports. */
export const BENCHMARKS: Readonly<Record<string, Benchmark>> = {
  features: benchFeatures,
  train: benchTrain,
  inference: benchInference,
  backtest: benchBacktest,
  pipeline: benchPipeline,
  burst: benchBurst,
  startup: benchStartup,
  soak: benchSoak,
};

/** Run by default; `soak` takes ten minutes and runs only when named. */
export const DEFAULT_BENCHMARKS: readonly string[] = ['features', 'train', 'inference', 'backtest', 'pipeline', 'burst', 'startup'];

/**
 * Runs the named benchmarks (all when none are named) one after another and returns every figure
 * in one flat object, plus the machine it ran on. `progress` hears about each benchmark as it starts.
 */
export async function runBenchmarks(
  names: readonly string[] = DEFAULT_BENCHMARKS,
  progress: (name: string) => void = () => undefined,
): Promise<Record<string, number | string>> {
  const unknown = names.filter((n) => BENCHMARKS[n] === undefined);
  if (unknown.length > 0) throw new RangeError(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  const figures: Record<string, number | string> = {};
  for (const name of names) {
    progress(name);
    Object.assign(figures, await (BENCHMARKS[name] as Benchmark)());
  }
  const os = await import('node:os');
  figures['machine.cpus'] = os.cpus().length;
  figures['machine.cpuModel'] = os.cpus()[0]?.model ?? 'unknown';
  figures['machine.node'] = process.version;
  return figures;
}
