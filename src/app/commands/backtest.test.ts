import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModelFolder } from '../../../test/support/random-model.js';
import { parseDiagnosedResult } from '../../backtest/diagnostics/schema.js';
import { runCli } from '../cli.js';

const sample = fileURLToPath(new URL('../../../test/fixtures/sample/', import.meta.url));
let model: string;
let out: string;

beforeAll(async () => {
  model = await randomModelFolder({ seed: 9 });
  out = await mkdtemp(join(tmpdir(), 'wick-bt-'));
});
afterAll(async () => {
  await rm(model, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
});

async function run(args: string[], env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c: Buffer) => (o += c.toString()));
  stderr.on('data', (c: Buffer) => (e += c.toString()));
  const code = await runCli(['backtest', ...args], {
    stdout,
    stderr,
    env: { WICK_LOG_LEVEL: 'error', ...env },
    cwd: process.cwd(),
    signal: new AbortController().signal,
  });
  return { code, out: o, err: e };
}

describe('wick backtest', () => {
  it('writes a result JSON with config, metrics for strategy and buy-and-hold, trades and equity, and an HTML report', async () => {
    const json = join(out, 'r.json');
    const report = join(out, 'r.html');
    const {
      code,
      out: text,
      err,
    } = await run([
      '--data',
      join(sample, 'BTC_USDT-1h.csv'),
      '--data',
      join(sample, 'ETH_USDT-1h.csv'),
      '--model',
      model,
      '--from',
      '2022-03-01',
      '--fee-bps',
      '7',
      '--json',
      json,
      '--report',
      report,
      '--timing-shifts',
      '3',
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(text).toMatch(/Sharpe\s+-?[\d.]+\s+-?[\d.]+/);
    const result = parseDiagnosedResult(JSON.parse(await readFile(json, 'utf8')));
    expect(result.config).toMatchObject({ mode: 'backtest', symbols: ['BTC/USDT', 'ETH/USDT'], feeBps: 7, timeframe: '1h' });
    // diagnostics in the terminal, the JSON and the HTML
    expect(text).toMatch(/timing test: real timing ranks \d+ of 7 by Sharpe/);
    expect(text).toMatch(/buy & hold 50%/);
    const d = result.diagnostics!;
    expect(d.timing!.of).toBe(7);
    expect(d.bySymbol.map((s) => s.symbol)).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(d.signal.ic.length).toBe(3);
    expect(d.trading.trades).toBe(result.trades.length);
    expect(d.baselines.map((b) => b.name)).toContain('opposite of last return 50%');
    const html = await readFile(report, 'utf8');
    for (const id of ['signal-quality', 'timing-test', 'baselines']) expect(html).toContain(`id="${id}"`);
    expect(result.equity[0]![0]).toBe(Date.UTC(2022, 2, 1));
    expect(result.trades.length).toBeGreaterThan(0);
    for (const t of result.trades) expect(t.entryTimeMs).toBeGreaterThanOrEqual(Date.UTC(2022, 2, 1));
    expect(result.metrics.strategy.trades).toBe(result.trades.length);
    expect((await stat(report)).size).toBeGreaterThan(5_000);
  });

  it('refuses data of another timeframe than the model, saying how to fix it', async () => {
    const { code, err } = await run(['--data', join(sample, 'BTC_USDT-1h.csv'), '--model', model, '--resample', '4h']);
    expect(code).toBe(2);
    expect(err).toContain('the data is 4h candles but the model was trained on 1h');
  });

  it('refuses a folder that is not a model', async () => {
    const { code, err } = await run(['--data', join(sample, 'BTC_USDT-1h.csv'), '--model', out]);
    expect(code).toBe(2);
    expect(err).toContain('no manifest.json');
  });

  it('rejects bad arguments with status 2', async () => {
    expect((await run(['--model', model])).code).toBe(2);
    const bad = await run(['--data', 'x.csv', '--from', '2023-02-01', '--to', '2023-01-01']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--to must be after --from');
  });
});

describe('wick backtest --walk-forward', () => {
  it('retrains before each fold on the days before it and reports only out-of-sample results', async () => {
    const template = join(out, 'template');
    const trainArgs = [
      'train',
      '--data',
      join(sample, 'BTC_USDT-1h.csv'),
      '--out',
      template,
      '--window',
      '12',
      '--hidden',
      '8',
      '--epochs',
      '2',
      '--horizons',
      '3',
      '--seed',
      '3',
    ];
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    expect(await runCli(trainArgs, { stdout, stderr, env: {}, cwd: process.cwd(), signal: new AbortController().signal })).toBe(0);
    const json = join(out, 'wf.json');
    const {
      code,
      out: text,
      err,
    } = await run([
      '--data',
      join(sample, 'BTC_USDT-1h.csv'),
      '--model',
      template,
      '--walk-forward',
      '--train-days',
      '45',
      '--test-days',
      '20',
      '--from',
      '2022-03-01',
      '--to',
      '2022-05-01',
      '--json',
      json,
    ]);
    expect(code).toBe(0);
    expect(err).toMatch(/walk-forward fold 1: train 2022-01-15 → 2022-03-01, test → 2022-03-21/);
    // the 1-day stub fold (2022-04-30 → 05-01) is merged into the fold before it
    expect(err).toMatch(/walk-forward fold 3: train 2022-02-24 → 2022-04-10, test → 2022-05-01/);
    expect(err).not.toMatch(/walk-forward fold 4/);
    expect(text).toContain('3 folds of 20 days');
    expect(text).toContain('positions and risk state carry over');
    expect(text).toMatch(/timing test: real timing ranks \d+ of 21/);
    const result = parseDiagnosedResult(JSON.parse(await readFile(json, 'utf8')));
    const folds = (
      result.config['walkForward'] as { folds: { trainFromMs: number; trainDays: number; testFromMs: number; testToMs: number; modelId: string }[] }
    ).folds;
    expect(folds).toHaveLength(3);
    expect(folds.at(-1)!.testToMs).toBe(Date.UTC(2022, 4, 1));
    expect(new Set(folds.map((f) => f.modelId)).size).toBe(3);
    for (const f of folds) {
      expect(f.testFromMs - f.trainFromMs).toBe(45 * 86_400_000);
      expect(f.trainDays).toBe(45);
    }
    expect(result.equity[0]![0]).toBe(Date.UTC(2022, 2, 1));
    expect(result.equity.at(-1)![0]).toBeLessThan(Date.UTC(2022, 4, 1));
    for (const t of result.trades) expect(t.entryTimeMs).toBeGreaterThanOrEqual(Date.UTC(2022, 2, 1));
    expect(result.metrics.buyAndHold.bars).toBe(result.equity.length);
    // one account: no position is closed for free at a fold boundary; only the end of the data marks one
    const lastBar = result.equity.at(-1)![0];
    for (const t of result.trades.filter((x) => x.exitReason === 'end_of_data')) expect(t.exitTimeMs).toBeGreaterThanOrEqual(lastBar);
    expect(result.diagnostics!.baselines.length).toBe(5);
  });

  it('refuses folds with less training data than --train-days, naming the first --from that works', async () => {
    const { code, err } = await run([
      '--data',
      join(sample, 'BTC_USDT-1h.csv'),
      '--model',
      model,
      '--walk-forward',
      '--train-days',
      '70',
      '--test-days',
      '20',
      '--from',
      '2022-03-01',
      '--to',
      '2022-05-01',
    ]);
    expect(code).toBe(2);
    expect(err).toContain(
      'walk-forward fold 1 (from 2022-03-01) has only 59.0 days of data before it, but --train-days is 70: start --from on 2022-03-12 or later',
    );
  });

  it('needs --from', async () => {
    const { code, err } = await run(['--data', join(sample, 'BTC_USDT-1h.csv'), '--model', model, '--walk-forward']);
    expect(code).toBe(2);
    expect(err).toContain('--walk-forward needs --from');
  });
});
