// `npm run bench [-- NAME ...]`: runs the benchmarks and prints ONE JSON line with every figure.
import { runBenchmarks } from '../src/app/bench/index.js';

const figures = await runBenchmarks(process.argv.slice(2).length > 0 ? process.argv.slice(2) : undefined, (name) =>
  process.stderr.write(`bench: ${name}...\n`),
);
console.log(JSON.stringify(figures));
