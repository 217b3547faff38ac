// `npm run test:faults`: runs the fault scenarios (live trader, pipeline, Redis restart, ccxt broker,
// websocket drops and stalls, graceful shutdown)
// with vitest's JSON reporter and prints a matrix: scenario, result, orders placed, duration. The
// last line is `faults: N passed, N failed; fuzz: N cases, N crashes; crash-restart: N runs, N
// duplicate orders, N unprotected positions`; the exit status is non-zero when any failed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FAULT_FILES = [
  'test/live-trader.test.ts',
  'test/live-faults.test.ts',
  'test/ccxt-broker.test.ts',
  'test/ccxt-broker-order-manager.test.ts',
  'test/pipeline-faults.test.ts',
  'test/pipeline-redis-restart.test.ts',
  'test/shutdown.test.ts',
  'test/operator-api.test.ts',
  'src/market/candle-plausibility.test.ts',
  'src/app/config/conflicts.test.ts',
  'test/simulator-fidelity.test.ts',
  'test/startup-shutdown.test.ts',
  'test/fuzz.test.ts',
  'test/crash-campaign.test.ts',
  'src/market/ccxt-candle-source.e2e.test.ts',
  'src/market/ccxt-candle-source.test.ts',
  'src/simulator/faults.ccxt.test.ts',
];

interface AssertionResult {
  readonly ancestorTitles: readonly string[];
  readonly title: string;
  readonly fullName?: string;
  readonly status: string;
  readonly duration?: number | null;
  readonly failureMessages?: readonly string[];
}
interface FileResult {
  readonly name: string;
  readonly status: string;
  readonly message?: string;
  readonly assertionResults: readonly AssertionResult[];
}

const dir = mkdtempSync(join(tmpdir(), 'wick-faults-'));
const report = join(dir, 'vitest.json');
const figuresFile = join(dir, 'figures.jsonl');
const started = Date.now();
const output: string[] = [];
const code = await new Promise<number>((resolve) => {
  const child = spawn('npx', ['vitest', 'run', ...FAULT_FILES, '--reporter=json', `--outputFile=${report}`], {
    env: { ...process.env, WICK_TEST_FAULT_FIGURES: figuresFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
  child.on('close', (status) => resolve(status ?? 1));
});

const figures = new Map<string, Record<string, unknown>>();
const fuzz = { cases: 0, crashes: 0, ran: false };
const crash = { runs: 0, duplicates: 0, unprotected: 0, ran: false };
if (existsSync(figuresFile)) {
  for (const line of readFileSync(figuresFile, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const f = JSON.parse(line) as Record<string, unknown>;
    if (f['fuzz'] !== undefined) {
      // One line per fuzzed edge (test/fuzz.test.ts): the closing line sums them.
      fuzz.ran = true;
      fuzz.cases += Number(f['fuzzCases'] ?? 0);
      fuzz.crashes += Number(f['crashes'] ?? 0);
      continue;
    }
    if (f['fuzzTotal'] !== undefined) continue;
    if (f['crashCampaign'] !== undefined) {
      crash.ran = true;
      crash.runs += Number(f['runs'] ?? 0);
      crash.duplicates += Number(f['duplicates'] ?? 0);
      crash.unprotected += Number(f['unprotected'] ?? 0);
      continue;
    }
    figures.set(String(f['test']), f);
  }
}

const rows: Array<{ scenario: string; result: string; orders: string; durationMs: string }> = [];
let files: FileResult[] = [];
if (existsSync(report)) files = (JSON.parse(readFileSync(report, 'utf8')) as { testResults: FileResult[] }).testResults;
for (const file of files) {
  const short = file.name.replace(`${process.cwd()}/`, '');
  if (file.assertionResults.length === 0)
    rows.push({ scenario: `${short} (did not run: ${file.message ?? file.status})`, result: 'failed', orders: '-', durationMs: '-' });
  for (const a of file.assertionResults) {
    const name = [...a.ancestorTitles, a.title].join(' ');
    const f = figures.get(name);
    rows.push({
      scenario: `${short.replace(/^test\//, '').replace(/\.test\.ts$/, '')}: ${a.title}`,
      result: a.status === 'passed' ? 'passed' : a.status === 'skipped' || a.status === 'pending' ? 'skipped' : 'failed',
      orders: f?.['ordersPlaced'] === undefined ? '-' : String(f['ordersPlaced']),
      durationMs: a.duration === undefined || a.duration === null ? '-' : String(Math.round(a.duration)),
    });
  }
}
if (rows.length === 0) rows.push({ scenario: 'vitest produced no report', result: 'failed', orders: '-', durationMs: '-' });
const passed = rows.filter((r) => r.result === 'passed').length;
let failed = rows.filter((r) => r.result === 'failed').length;
if (code !== 0 && failed === 0) failed = 1; // vitest failed outside any test (e.g. an unhandled error)
if (!fuzz.ran || fuzz.crashes > 0 || !crash.ran || crash.duplicates > 0 || crash.unprotected > 0) failed = Math.max(failed, 1);

const width = Math.min(110, Math.max(...rows.map((r) => r.scenario.length), 8));
const cut = (s: string): string => (s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width));
const lines = [`${'scenario'.padEnd(width)}  result   orders  duration_ms`, `${'-'.repeat(width)}  -------  ------  -----------`];
for (const r of rows) lines.push(`${cut(r.scenario)}  ${r.result.padEnd(7)}  ${r.orders.padStart(6)}  ${r.durationMs.padStart(11)}`);
if (failed > 0) lines.push('', '--- vitest output (failures) ---', output.join('').slice(-8000));
lines.push(
  '',
  `total ${Math.round((Date.now() - started) / 1000)} s`,
  `faults: ${passed} passed, ${failed} failed; fuzz: ${fuzz.cases} cases, ${fuzz.crashes} crashes; crash-restart: ${crash.runs} runs, ${crash.duplicates} duplicate orders, ${crash.unprotected} unprotected positions`,
);
console.log(lines.join('\n'));
rmSync(dir, { recursive: true, force: true });
process.exitCode = failed > 0 ? 1 : 0;
