import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../command.js';
import { computeFeatures } from '../../features/compute.js';
import { DEFAULT_SPEC, WORKED_EXAMPLE_SPEC } from '../../features/spec.js';
import { SAMPLE_DATA_DIR } from '../../market/candle-csv-shared-data.js';
import { readCandles } from '../../market/candle-csv.js';
import { command } from './features.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function runCli(args: string[], cwd: string): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d: Buffer) => out.push(d.toString()));
  stderr.on('data', (d: Buffer) => err.push(d.toString()));
  const ctx: CliContext = { stdout, stderr, env: {}, cwd, signal: new AbortController().signal };
  const code = await command.run(args, ctx);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

let outDir: string;
beforeAll(async () => {
  outDir = await mkdtemp(path.join(os.tmpdir(), 'wick-features-cli-'));
});
afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe('wick features', () => {
  it('--help lists every option and an example', async () => {
    const r = await runCli(['--help'], SAMPLE_DATA_DIR);
    expect(r.code).toBe(0);
    for (const opt of ['--data', '--out', '--spec', '--timeframe', '--help', 'Example:', 'default, scale-free, worked-example'])
      expect(r.stdout).toContain(opt);
  });

  it('writes timestamp plus raw feature columns, empty while warming up, matching computeFeatures', async () => {
    const out = path.join(outDir, 'sample-features.csv');
    const r = await runCli(['--data', 'BTC_USDT-1h.csv', '--out', out], SAMPLE_DATA_DIR);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3000 rows x 11 features');
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe(['timestamp', ...DEFAULT_SPEC.features.map((f) => f.id)].join(','));
    const candles = await readCandles(path.join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv'));
    const batch = computeFeatures(candles, DEFAULT_SPEC, 3_600_000);
    expect(lines).toHaveLength(candles.length + 1);
    const F = batch.featureCount;
    for (const i of [0, 1, 13, 14, 33, 34, 1500, 2000, 2001, 2040, 2999]) {
      const cells = lines[i + 1]!.split(',');
      expect(Number(cells[0])).toBe(candles[i]!.openTimeMs);
      for (let f = 0; f < F; f++) {
        const v = batch.raw[i * F + f]!;
        if (Number.isNaN(v)) expect(cells[f + 1]).toBe('');
        else expect(Number(cells[f + 1])).toBe(v);
      }
    }
    // Row 2 (second candle): only ratio and logret are ready.
    expect(
      lines[2]!
        .split(',')
        .slice(1)
        .map((c) => c !== ''),
    ).toEqual([true, true, false, false, false, false, false, false, false, false, false]);
  });

  it('--spec worked-example with an explicit timeframe', async () => {
    const out = path.join(outDir, 'small.csv');
    const r = await runCli(['--data', 'small-btc-1h.csv', '--spec', 'worked-example', '--timeframe', '1h', '--out', out], SAMPLE_DATA_DIR);
    expect(r.code).toBe(0);
    const header = (await readFile(out, 'utf8')).split('\n')[0];
    expect(header).toBe(['timestamp', ...WORKED_EXAMPLE_SPEC.features.map((f) => f.id)].join(','));
  });

  it.each([
    ['truncated-line.csv', 'line 5, column close: missing (expected 6 fields, got 4'],
    ['text-in-number.csv', 'line 4, column close: "abc" is not a number'],
    ['out-of-order.csv', 'line 4, column timestamp: timestamp 1640998800000 is before the previous row'],
    ['nan.csv', 'line 4, column high: "NaN" is not a number'],
    ['negative-price.csv', 'line 5, column open: price -45810 must be > 0'],
    ['high-below-close.csv', 'line 3, column high: high 46000 is below max(open, close) = 46050'],
  ])('corrupt %s: exit 2, names file, line, column and reason, leaves no output', async (name, expected) => {
    const out = path.join(outDir, `out-${name}`);
    const r = await runCli(['--data', `corrupt/${name}`, '--out', out], SAMPLE_DATA_DIR);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`corrupt/${name}, ${expected}`);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(outDir)).filter((f) => f.startsWith(`out-${name}`))).toEqual([]);
  });

  it.each([
    [['--out', 'x.csv'], '--data FILE.csv is required'],
    [['--data', 'BTC_USDT-1h.csv'], '--out OUT.csv is required'],
    [['--data', 'BTC_USDT-1h.csv', '--out', 'x.csv', '--timeframe', '2h'], '--timeframe must be one of'],
    [['--data', 'BTC_USDT-1h.csv', '--out', 'x.csv', '--bogus'], "Unknown option '--bogus'"],
    [['--data', 'BTC_USDT-1h.csv', '--out', 'BTC_USDT-1h.csv'], '--out must differ from --data'],
  ])('bad arguments %j: exit 2 with the reason and usage', async (args, expected) => {
    const r = await runCli(args, outDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(expected);
    expect(r.stderr).toContain('Usage: wick features');
  });

  it('unknown spec and missing file: exit 2, no output', async () => {
    const out = path.join(outDir, 'never.csv');
    const spec = await runCli(['--data', 'BTC_USDT-1h.csv', '--spec', 'nope', '--out', out], SAMPLE_DATA_DIR);
    expect(spec.code).toBe(2);
    expect(spec.stderr).toContain('unknown feature spec "nope"');
    const missing = await runCli(['--data', 'missing.csv', '--out', out], SAMPLE_DATA_DIR);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing.csv: cannot read the file (ENOENT)');
    expect(existsSync(out)).toBe(false);
  });

  it('a timeframe that does not fit the data is reported as misaligned', async () => {
    const out = path.join(outDir, 'tf.csv');
    const r = await runCli(['--data', 'small-btc-1h.csv', '--timeframe', '1d', '--out', out], SAMPLE_DATA_DIR);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('small-btc-1h.csv, line 3, column timestamp: timestamp 1640998800000 is not aligned to the 1d timeframe');
    expect(existsSync(out)).toBe(false);
  });
});
