import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { manifestSchema } from '../../model/manifest.js';
import { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import { runCli } from '../cli.js';

const sample = fileURLToPath(new URL('../../../test/fixtures/sample/', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function run(args: string[], signal = new AbortController().signal) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runCli(['train', ...args], { stdout, stderr, env: {}, cwd: process.cwd(), signal });
  return { code, out, err };
}

const SMALL = ['--window', '12', '--hidden', '6', '--epochs', '2', '--horizons', '2', '--seed', '5'];

describe('wick train', () => {
  it('trains on pooled files and writes a model folder that onnxruntime loads, with out-of-sample test metrics', async () => {
    const out = await mkdtemp(join(tmpdir(), 'wick-train-'));
    dirs.push(out);
    const { code, err } = await run([
      '--data',
      join(sample, 'BTC_USDT-1h.csv'),
      '--data',
      join(sample, 'ETH_USDT-1h.csv'),
      '--out',
      out,
      '--test-from',
      '2022-04-15',
      ...SMALL,
    ]);
    expect(err).toMatch(/epoch 2\/2: loss [\d.]+, validation loss [\d.]+, elapsed/);
    expect(code).toBe(0);
    const manifest = manifestSchema.parse(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')));
    expect(manifest.training.data.map((d) => d.file)).toEqual(['BTC_USDT-1h.csv', 'ETH_USDT-1h.csv']);
    expect(manifest.training.splits.testFromMs).toBe(Date.UTC(2022, 3, 15));
    expect(manifest.training.splits.trainToMs).toBeLessThan(manifest.training.splits.validationFromMs);
    expect(manifest.metrics.test?.['directionalAccuracy']).toBeGreaterThan(0);
    expect(manifest.metrics.test?.['mseZeroBaseline']).toBeGreaterThan(0);
    expect(manifest.horizons).toEqual([1, 2]);
    // The drift guard is calibrated on the validation windows; prediction statistics are in ratio units.
    expect(manifest.drift?.validationWindows).toBeGreaterThan(0);
    expect(manifest.drift?.threshold).toBeGreaterThan(0.3);
    expect(manifest.drift?.predictionMean[0]).toBeCloseTo(1, 1);
    // calibrated policy levels and the split diagnostics (IC, timing test, baselines)
    const cal = manifest.policyCalibration!;
    expect(cal.statistic).toBe('horizon_average');
    expect(cal.fromMs).toBe(manifest.training.splits.validationFromMs);
    for (let j = 1; j < 99; j++) expect(cal.quantiles[j]!).toBeGreaterThanOrEqual(cal.quantiles[j - 1]!);
    expect(err).toMatch(/policy: calibrated on validation: enter above q0.9/);
    expect(err).toMatch(/--- validation backtest/);
    expect(err).toMatch(/--- test backtest/);
    expect(err).toMatch(/timing test: real timing ranks \d+ of 21/);
    expect(err).toMatch(/buy & hold 50%/);
    for (const split of [manifest.metrics.validation, manifest.metrics.test!]) {
      expect(split['timingVariants']).toBe(21);
      expect(typeof split['rankIcH1']).toBe('number');
      expect(split['backtestTrades']).toBeGreaterThanOrEqual(0);
    }
    const model = await OnnxSignalModel.load(out, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
    const ratios = await model.predict(new Float32Array(12 * manifest.featureCount), 1);
    expect(ratios[0]).toBeGreaterThan(0.9);
    expect(ratios[0]).toBeLessThan(1.1);
    await model.close();
  });

  it('is reproducible for a seed', async () => {
    const a = await mkdtemp(join(tmpdir(), 'wick-train-a-'));
    const b = await mkdtemp(join(tmpdir(), 'wick-train-b-'));
    dirs.push(a, b);
    const args = ['--data', join(sample, 'BTC_USDT-1h.csv'), ...SMALL, '--epochs', '1'];
    await run([...args, '--out', a]);
    await run([...args, '--out', b]);
    expect(await readFile(join(a, 'model.onnx'))).toEqual(await readFile(join(b, 'model.onnx')));
  });

  it('is reproducible for a seed and a thread count with --threads, and records the count', async () => {
    const a = await mkdtemp(join(tmpdir(), 'wick-train-ta-'));
    const b = await mkdtemp(join(tmpdir(), 'wick-train-tb-'));
    dirs.push(a, b);
    const args = ['--data', join(sample, 'BTC_USDT-1h.csv'), ...SMALL, '--epochs', '1', '--threads', '2'];
    const first = await run([...args, '--out', a]);
    expect(first.err).toContain('on 2 threads');
    await run([...args, '--out', b]);
    expect(await readFile(join(a, 'model.onnx'))).toEqual(await readFile(join(b, 'model.onnx')));
    const manifest = manifestSchema.parse(JSON.parse(await readFile(join(a, 'manifest.json'), 'utf8')));
    expect(manifest.training.hyperParameters['threads']).toBe(2);
  });

  it('stops on Ctrl-C after the current batch and keeps the best model so far', async () => {
    const out = await mkdtemp(join(tmpdir(), 'wick-train-int-'));
    dirs.push(out);
    const controller = new AbortController();
    controller.abort('SIGINT');
    const { code, err } = await run(['--data', join(sample, 'BTC_USDT-1h.csv'), '--out', out, ...SMALL, '--epochs', '50'], controller.signal);
    expect(code).toBe(0);
    expect(err).toContain('interrupted: keeping the best model so far');
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { training: { epochsRun: number } };
    expect(manifest.training.epochsRun).toBe(0);
  });

  it('rejects bad arguments with status 2 and says what is expected', async () => {
    expect((await run(['--out', '/tmp/x'])).err).toContain('--data FILE.csv is required');
    const bad = await run(['--data', 'x.csv', '--out', '/tmp/x', '--hidden', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--hidden "many": expected an integer from 1 to 256');
    expect((await run(['--data', 'x.csv', '--out', '/tmp/x', '--test-from', 'soon'])).err).toContain('--test-from "soon" is not a date');
    expect((await run(['--data', 'x.csv', '--out', '/tmp/x', '--threads', '0'])).err).toContain('--threads "0": expected an integer from 1 to 256');
  });

  it('reports a corrupt data file with file, line and reason, exit 2', async () => {
    const { code, err } = await run(['--data', join(sample, 'corrupt', 'text-in-number.csv'), '--out', '/tmp/never-written']);
    expect(code).toBe(2);
    expect(err).toMatch(/text-in-number\.csv, line \d+, column \w+/);
  });
});
