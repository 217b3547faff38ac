import { BENCHMARKS, runBenchmarks } from '../bench/index.js';
import type { CliCommand } from '../command.js';

export const command: CliCommand = {
  name: 'bench',
  help: `Usage: wick bench [NAME ...]

Runs the benchmarks (all, or the named ones: ${Object.keys(BENCHMARKS).join(', ')}) and prints one
JSON line with every figure (e.g. features.candlesPerSec, inference.cpu.p50Us,
backtest.candlesPerSec). Same as \`npm run bench\` in a source checkout. Run it on a quiet machine:
the figures are wall-clock throughput and latency.`,
  async run(args, ctx) {
    const figures = await runBenchmarks(args.length > 0 ? args : undefined, (name) => ctx.stderr.write(`bench: ${name}...\n`));
    ctx.stdout.write(`${JSON.stringify(figures)}\n`);
    return 0;
  },
};
