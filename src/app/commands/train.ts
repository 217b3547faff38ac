import { plausibilityFromEnv } from '../config/load-config.js';
import { basename, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { timeframeMs, type Timeframe } from '../../core/candle.js';
import { DataError } from '../../core/errors.js';
import { calibrateDrift, getSpec, specHash, SPEC_NAMES, DEFAULT_CLIP_SIGMA } from '../../features/index.js';
import { readCandleFile } from '../../market/candle-csv.js';
import { resample } from '../../market/resample.js';
import { buildDataset, type Dataset, type SeriesInput, type TargetKind } from '../../train/dataset.js';
import type { ModelManifest } from '../../model/manifest.js';
import { lstmPredict } from '../../train/lstm-forward.js';
import type { LstmModel } from '../../train/lstm-model.js';
import { auc, column, directionalAccuracy, mse, zeroReturnMse } from '../../train/metrics.js';
import { train, type EpochReport, type TrainConfig, type WindowSet } from '../../train/train.js';
import type { LossSpec } from '../../train/loss.js';
import { isInt, parseIsoDate, parseNumber, parseOptions, parseTimeframe } from '../cli-args.js';
import { UsageError, type CliCommand, type CliContext } from '../command.js';
import { updateManifest, writeModelFolder } from '../model-folder.js';
import { loadConfig, type Config } from '../config/load-config.js';
import { calibrateModelFolder, evaluateModelPeriods, periodFigures, type NamedSeries } from '../model-evaluation.js';
import { formatDiagnostics } from '../../backtest/diagnostics/format.js';
import { describePolicy } from '../trading-setup.js';
import { defaultTrainingThreads, trainingParallelism } from '../train-threads/spawn.js';

const HELP = `Usage: wick train --data A.csv [--data B.csv ...] --out DIR [options]

Trains wick's LSTM on candle files (several files are pooled) and writes a model folder
(model.onnx + manifest.json). Splits are chronological: with --test-from, every window at or
after that date is held out as the test split; the rest is split into training and a validation
tail, with purge gaps of window + horizon candles between splits. Normalisation is fitted on the
training rows only. Ctrl-C stops after the current batch and keeps the best model so far.

Options (default in brackets):
  --data FILE          candle CSV (timestamp,open,high,low,close,volume); repeat to pool pairs
  --out DIR            model folder to write
  --spec NAME          feature spec: ${SPEC_NAMES.join(', ')} [scale-free]
  --timeframe TF       candle timeframe of the files [inferred]
  --resample TF        aggregate to a longer timeframe first, e.g. 1d
  --from ISO           ignore candles before this date
  --to ISO             ignore candles at or after this date (hold them back entirely)
  --test-from ISO      first date of the test split [none: no test split]
  --val-fraction X     share of the pre-test windows used for validation [0.15]
  --target KIND        ratio (regress the next K close ratios) or direction (P(up)) [ratio]
  --horizons K         ratio: steps ahead predicted; direction: the horizon h [3]
  --loss NAME          ratio targets: mse or huber [huber]
  --window T           candles per window [64]
  --hidden H           LSTM hidden units [64]
  --layers N           1 or 2 stacked LSTM layers [1]
  --epochs N           maximum epochs [20]
  --batch B            mini-batch size [64]
  --lr X               Adam learning rate [0.001]
  --weight-decay X     decoupled weight decay [0]
  --clip X             global gradient-norm clip [1]
  --dropout X          input dropout [0.1]
  --layer-dropout X    dropout between stacked layers [0.1]
  --bptt N             truncated BPTT length [window]
  --patience N         early-stopping patience in epochs [4]
  --seed N             seed of initialisation, shuffling and dropout [42]
  --threads N          training threads (data-parallel mini-batches; the same seed and thread
                       count give the same model bit for bit) [all cores when the run has at
                       least 20,000 window-epochs, else 1]

Example:
  wick train --data ../shared/data/BTC_USDT-1h.csv --data ../shared/data/ETH_USDT-1h.csv \\
    --to 2024-01-01 --test-from 2023-01-01 --out models/default`;

export interface TrainOptions {
  readonly data: readonly string[];
  readonly out: string;
  readonly spec: string;
  readonly timeframe: Timeframe | undefined;
  readonly resample: Timeframe | undefined;
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
  readonly testFromMs: number | null;
  readonly valFraction: number;
  readonly target: TargetKind;
  readonly horizons: number;
  readonly loss: 'mse' | 'huber';
  readonly window: number;
  readonly hidden: number;
  readonly layers: 1 | 2;
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly clip: number;
  readonly dropout: number;
  readonly layerDropout: number;
  readonly bptt: number | undefined;
  readonly patience: number;
  readonly seed: number;
  /** Training threads; undefined: every core for a run of at least AUTO_THREADS_MIN_WINDOW_EPOCHS, else one. */
  readonly threads?: number | undefined;
}

/** Below this many training windows × epochs, `wick train` without --threads uses one thread. */
export const AUTO_THREADS_MIN_WINDOW_EPOCHS = 20_000;

export function parseTrainArgs(args: readonly string[]): TrainOptions {
  const values = parseOptions(args, {
    data: { type: 'string', multiple: true },
    out: { type: 'string' },
    spec: { type: 'string' },
    timeframe: { type: 'string' },
    resample: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'test-from': { type: 'string' },
    'val-fraction': { type: 'string' },
    target: { type: 'string' },
    horizons: { type: 'string' },
    loss: { type: 'string' },
    window: { type: 'string' },
    hidden: { type: 'string' },
    layers: { type: 'string' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    'weight-decay': { type: 'string' },
    clip: { type: 'string' },
    dropout: { type: 'string' },
    'layer-dropout': { type: 'string' },
    bptt: { type: 'string' },
    patience: { type: 'string' },
    seed: { type: 'string' },
    threads: { type: 'string' },
  });
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const data = (values['data'] as string[] | undefined) ?? [];
  if (data.length === 0) throw new UsageError('--data FILE.csv is required (repeat it to pool several files)');
  const out = str('out');
  if (out === undefined) throw new UsageError('--out DIR is required');
  const spec = str('spec') ?? 'scale-free';
  if (!SPEC_NAMES.includes(spec)) throw new UsageError(`--spec "${spec}": known specs are ${SPEC_NAMES.join(', ')}`);
  const target = (str('target') ?? 'ratio') as TargetKind;
  if (target !== 'ratio' && target !== 'direction') throw new UsageError(`--target "${String(target)}": expected ratio or direction`);
  const loss = (str('loss') ?? 'huber') as 'mse' | 'huber';
  if (loss !== 'mse' && loss !== 'huber') throw new UsageError(`--loss "${String(loss)}": expected mse or huber`);
  const window = parseNumber('--window', str('window'), 64, isInt(2, 1024), 'an integer from 2 to 1024');
  const bpttRaw = str('bptt');
  return {
    data,
    out,
    spec,
    timeframe: parseTimeframe('--timeframe', str('timeframe')),
    resample: parseTimeframe('--resample', str('resample')),
    fromMs: parseIsoDate('--from', str('from')),
    toMs: parseIsoDate('--to', str('to')),
    testFromMs: parseIsoDate('--test-from', str('test-from')) ?? null,
    valFraction: parseNumber('--val-fraction', str('val-fraction'), 0.15, (n) => n > 0 && n < 0.9, 'a fraction between 0 and 0.9'),
    target,
    horizons: parseNumber('--horizons', str('horizons'), 3, isInt(1, 64), 'an integer from 1 to 64'),
    loss,
    window,
    hidden: parseNumber('--hidden', str('hidden'), 64, isInt(1, 256), 'an integer from 1 to 256'),
    layers: parseNumber('--layers', str('layers'), 1, isInt(1, 2), '1 or 2') as 1 | 2,
    epochs: parseNumber('--epochs', str('epochs'), 20, isInt(1, 10_000), 'a positive integer'),
    batch: parseNumber('--batch', str('batch'), 64, isInt(1, 65_536), 'a positive integer'),
    lr: parseNumber('--lr', str('lr'), 1e-3, (n) => n > 0 && n < 1, 'a number between 0 and 1'),
    weightDecay: parseNumber('--weight-decay', str('weight-decay'), 0, (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
    clip: parseNumber('--clip', str('clip'), 1, (n) => n > 0, 'a positive number'),
    dropout: parseNumber('--dropout', str('dropout'), 0.1, (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
    layerDropout: parseNumber('--layer-dropout', str('layer-dropout'), 0.1, (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
    bptt: bpttRaw === undefined ? undefined : parseNumber('--bptt', bpttRaw, window, isInt(1, window), `an integer from 1 to the window (${window})`),
    patience: parseNumber('--patience', str('patience'), 4, isInt(1, 1000), 'a positive integer'),
    seed: parseNumber('--seed', str('seed'), 42, isInt(0, 2 ** 31 - 1), 'a non-negative integer'),
    threads: str('threads') === undefined ? undefined : parseNumber('--threads', str('threads'), 1, isInt(1, 256), 'an integer from 1 to 256'),
  };
}

/** Metrics of a window set: loss-independent figures a reader can compare across models. */
export function evaluateSet(model: LstmModel, set: WindowSet, window: number, target: TargetKind, scale: number): Record<string, number | null> {
  if (set.n === 0) return { windows: 0 };
  const K = model.config.outputSize;
  const pred = lstmPredict(model, set.x, set.n, window);
  const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);
  if (target === 'ratio') {
    const p0 = column(pred, K, 0);
    const y0 = column(set.y, K, 0);
    // Scaled units → returns, so the MSE figures read as squared returns.
    const toReturn = (v: Float64Array): Float64Array => v.map((x) => x / scale);
    return {
      windows: set.n,
      mse: fin(mse(toReturn(p0), toReturn(y0))),
      mseZeroBaseline: fin(zeroReturnMse(toReturn(y0))),
      mseAllHorizons: fin(
        mse(
          Array.from(pred, (x) => x / scale),
          Array.from(set.y, (x) => x / scale),
        ),
      ),
      directionalAccuracy: fin(directionalAccuracy(p0, y0)),
    };
  }
  const p = column(pred, 1, 0);
  const y = column(set.y, 1, 0);
  let hits = 0;
  let ll = 0;
  for (let i = 0; i < p.length; i++) {
    const prob = Math.min(Math.max(p[i]!, 1e-7), 1 - 1e-7);
    if (prob > 0.5 === y[i]! > 0.5) hits++;
    ll += -(y[i]! * Math.log(prob) + (1 - y[i]!) * Math.log(1 - prob));
  }
  return {
    windows: set.n,
    logLoss: fin(ll / p.length),
    directionalAccuracy: fin(hits / p.length),
    auc: fin(auc(p, y)),
  };
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}

function iso(ms: number | null | undefined): string {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? '—' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export async function runTrain(options: TrainOptions, ctx: CliContext): Promise<number> {
  const say = (line: string): void => {
    ctx.stderr.write(`${line}\n`);
  };

  const inputs = [];
  let timeframe: Timeframe | undefined = options.timeframe;
  for (const path of options.data) {
    const file = await readCandleFile(resolve(ctx.cwd, path), {
      displayName: path,
      plausibility: plausibilityFromEnv(ctx.env),
      ...(options.timeframe ? { timeframe: options.timeframe } : {}),
    });
    if (file.timeframe === undefined) throw new DataError('too few rows to infer the timeframe; pass --timeframe', { file: path });
    if (timeframe !== undefined && file.timeframe !== timeframe)
      throw new DataError(`timeframe ${file.timeframe} differs from the other files' ${timeframe}`, { file: path });
    timeframe = file.timeframe;
    const candles = options.resample ? resample(file.candles, file.timeframe, options.resample) : file.candles;
    inputs.push({ name: basename(path), candles });
    say(
      `read ${path}: ${file.candles.length} candles (${file.timeframe}) ${iso(file.candles[0]?.openTimeMs)} → ${iso(file.candles.at(-1)?.openTimeMs)}${options.resample ? `, resampled to ${candles.length} ${options.resample} candles` : ''}`,
    );
  }
  const tf = options.resample ?? (timeframe as Timeframe);
  const outDir = resolve(ctx.cwd, options.out);
  let manifest = await trainToFolder(inputs, tf, options, outDir, ctx);
  manifest = await reportSplitDiagnostics(outDir, inputs, manifest, loadConfig(ctx.env), say);
  ctx.stdout.write(`${JSON.stringify({ out: options.out, modelId: manifest.modelId, metrics: manifest.metrics })}\n`);
  return 0;
}

/**
 * Builds the dataset, trains, evaluates and writes the model folder. Progress goes to stderr (a bar
 * on a terminal, one line per epoch otherwise). Used by `wick train` and by the walk-forward backtest.
 */
export async function trainToFolder(
  inputs: readonly SeriesInput[],
  tf: Timeframe,
  options: TrainOptions,
  outDir: string,
  ctx: CliContext,
  quiet = false,
): Promise<ModelManifest> {
  const spec = getSpec(options.spec);
  const isTty = !quiet && Boolean((ctx.stderr as { isTTY?: boolean }).isTTY);
  const say = (line: string): void => {
    if (!quiet) ctx.stderr.write(`${line}\n`);
  };
  const dataset: Dataset = buildDataset(inputs, {
    spec,
    timeframeMs: timeframeMs(tf),
    window: options.window,
    target: options.target,
    horizons: options.horizons,
    testFromMs: options.testFromMs,
    valFraction: options.valFraction,
    ...(options.fromMs !== undefined ? { fromMs: options.fromMs } : {}),
    ...(options.toMs !== undefined ? { toMs: options.toMs } : {}),
  });
  say(
    `windows: train ${dataset.train.n} (to ${iso(dataset.splits.trainToMs)}), validation ${dataset.val.n} (${iso(dataset.splits.validationFromMs)} → ${iso(dataset.splits.validationToMs)}), test ${dataset.test?.n ?? 0}${dataset.test ? ` (${iso(dataset.splits.testFromMs)} → ${iso(dataset.splits.testToMs)})` : ''}; purge ${dataset.splits.purgeCandles} candles`,
  );

  const loss: LossSpec = options.target === 'direction' ? { kind: 'bce' } : options.loss === 'huber' ? { kind: 'huber', delta: 1 } : { kind: 'mse' };
  const config: TrainConfig = {
    model: {
      inputSize: spec.features.length,
      hiddenSize: options.hidden,
      numLayers: options.layers,
      outputSize: dataset.outputs,
      outputKind: options.target === 'direction' ? 'classification' : 'regression',
    },
    windowLength: options.window,
    loss,
    epochs: options.epochs,
    batchSize: options.batch,
    learningRate: options.lr,
    seed: options.seed,
    weightDecay: options.weightDecay,
    clipNorm: options.clip,
    inputDropout: options.dropout,
    layerDropout: options.layerDropout,
    ...(options.bptt !== undefined ? { bpttSteps: options.bptt } : {}),
    patience: options.patience,
  };

  const batchesPerEpoch = Math.ceil(dataset.train.n / Math.min(options.batch, dataset.train.n));
  const started = performance.now();
  let batches = 0;
  let lastDraw = 0;
  let lastEpoch: EpochReport | undefined;
  const draw = (): void => {
    const epochBatches = batches % batchesPerEpoch;
    const epoch = Math.floor(batches / batchesPerEpoch);
    const done = batches / (batchesPerEpoch * options.epochs);
    const elapsed = performance.now() - started;
    const width = 24;
    const filled = Math.round((epochBatches / batchesPerEpoch) * width);
    const eta = done > 0 ? (elapsed / done) * (1 - done) : NaN;
    ctx.stderr.write(
      `\repoch ${epoch + 1}/${options.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${lastEpoch ? `loss ${lastEpoch.trainLoss.toFixed(4)} val ${lastEpoch.valLoss.toFixed(4)} ` : ''}elapsed ${formatDuration(elapsed)} eta ≤${Number.isFinite(eta) ? formatDuration(eta) : '?'}   `,
    );
  };
  // Starting threads costs a fraction of a second: a small run (a walk-forward fold) keeps to one.
  const threads = options.threads ?? (dataset.train.n * options.epochs >= AUTO_THREADS_MIN_WINDOW_EPOCHS ? defaultTrainingThreads() : 1);
  const result = train(
    config,
    { train: dataset.train, val: dataset.val },
    {
      parallel: trainingParallelism(threads),
      shouldStop: () => {
        batches++;
        if (isTty && performance.now() - lastDraw > 200) {
          lastDraw = performance.now();
          draw();
        }
        return ctx.signal.aborted;
      },
      onEpoch: (report) => {
        lastEpoch = report;
        const elapsed = performance.now() - started;
        const eta = (elapsed / (report.epoch + 1)) * (options.epochs - report.epoch - 1);
        const line = `epoch ${report.epoch + 1}/${options.epochs}: loss ${report.trainLoss.toFixed(5)}, validation loss ${report.valLoss.toFixed(5)}, elapsed ${formatDuration(elapsed)}, eta ≤${formatDuration(eta)}`;
        if (isTty) ctx.stderr.write(`\r${line}${' '.repeat(20)}\n`);
        else say(line);
      },
    },
  );
  const trainMs = performance.now() - started;
  if (result.stopReason === 'stopped') say('interrupted: keeping the best model so far');
  say(
    `training: ${result.epochsRun} epochs, best epoch ${result.bestEpoch + 1} (validation loss ${result.bestValLoss.toFixed(5)}), stopped by ${result.stopReason}, ${formatDuration(trainMs)}, ${Math.round((dataset.train.n * result.epochsRun) / (trainMs / 1000))} windows/s on ${threads} thread${threads === 1 ? '' : 's'}`,
  );

  const validation = evaluateSet(result.model, dataset.val, options.window, options.target, dataset.targetScale);
  const test = dataset.test ? evaluateSet(result.model, dataset.test, options.window, options.target, dataset.targetScale) : null;
  // Input-drift guard: dissimilarity of the validation windows, and the validation predictions in the daemon's units.
  const valPredictions = lstmPredict(result.model, dataset.val.x, dataset.val.n, options.window);
  const drift =
    dataset.val.n > 0
      ? calibrateDrift(
          dataset.val.x,
          dataset.val.n,
          options.window * spec.features.length,
          options.target === 'ratio' ? valPredictions.map((v) => 1 + v / dataset.targetScale) : valPredictions,
          dataset.outputs,
        )
      : undefined;
  const manifest = await writeModelFolder(outDir, result.model, {
    timeframe: tf,
    featureSpec: { name: spec.name, features: spec.features.map((f) => ({ id: f.id, kind: f.kind, params: { ...f.params } })) },
    specHash: specHash(spec),
    windowLength: options.window,
    featureCount: spec.features.length,
    horizons: options.target === 'ratio' ? Array.from({ length: options.horizons }, (_, k) => k + 1) : [options.horizons],
    target: options.target === 'ratio' ? { kind: 'ratio', scale: dataset.targetScale, loss: options.loss } : { kind: 'probability', horizon: options.horizons },
    normalisation: { mean: [...dataset.normalisation.mean], std: [...dataset.normalisation.std], clipSigma: dataset.normalisation.clip ?? DEFAULT_CLIP_SIGMA },
    training: {
      data: dataset.series.map((s) => ({ file: s.name, fromMs: s.fromMs, toMs: s.toMs, rows: s.rows })),
      splits: dataset.splits,
      hyperParameters: {
        spec: options.spec,
        resample: options.resample ?? null,
        target: options.target,
        loss: loss.kind,
        window: options.window,
        hidden: options.hidden,
        layers: options.layers,
        epochs: options.epochs,
        batch: options.batch,
        lr: options.lr,
        weightDecay: options.weightDecay,
        clip: options.clip,
        dropout: options.dropout,
        layerDropout: options.layerDropout,
        bptt: options.bptt ?? options.window,
        patience: options.patience,
        valFraction: options.valFraction,
        // The gradient's summation order depends on it: a rerun needs the same count to match bit for bit.
        threads,
      },
      seed: options.seed,
      epochsRun: result.epochsRun,
      bestEpoch: result.bestEpoch + 1,
    },
    metrics: { validation: { ...validation, loss: result.bestValLoss }, test },
    ...(drift !== undefined ? { drift } : {}),
  });
  const show = (m: Record<string, number | null> | null): string =>
    m === null
      ? 'none'
      : Object.entries(m)
          .map(([k, v]) => `${k} ${v === null ? '—' : Number.isInteger(v) ? v : v.toPrecision(4)}`)
          .join(', ');
  say(`validation: ${show(validation)}`);
  say(`test (out of sample): ${show(test)}`);
  try {
    const calibrated = await calibrateModelFolder(outDir, inputs);
    say(`policy calibration: validation quantiles of the ${calibrated.policyCalibration?.statistic ?? ''} statistic stored in the manifest`);
    return calibrated;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    say(`no policy calibration (${error.message}); the fixed thresholds will apply`);
    return manifest;
  }
}

/**
 * Backtests the new model on its validation and test splits with the configured policy, risk and
 * costs, prints the signal diagnostics, timing test and baselines of each, and adds the headline
 * figures to the manifest's metrics.
 */
async function reportSplitDiagnostics(
  dir: string,
  inputs: readonly NamedSeries[],
  manifest: ModelManifest,
  config: Config,
  say: (line: string) => void,
): Promise<ModelManifest> {
  const s = manifest.training.splits;
  const periods = [{ name: 'validation', fromMs: s.validationFromMs, toMs: s.validationToMs + 1 }];
  if (s.testFromMs !== null && s.testToMs !== null) periods.push({ name: 'test', fromMs: s.testFromMs, toMs: s.testToMs + 1 });
  say(`policy: ${describePolicy(config, manifest.policyCalibration)}; fee ${config.paper.feeBps} bps, slippage ${config.paper.slippageBps} bps`);
  const evaluations = await evaluateModelPeriods(dir, inputs, periods, config, 10);
  for (const e of evaluations) {
    say(
      `--- ${e.name} backtest ${iso(e.fromMs)} → ${iso(e.toMs)}: return ${pctText(e.run.metrics.strategy.totalReturn)}, Sharpe ${e.run.metrics.strategy.sharpe?.toFixed(2) ?? '—'}, max drawdown ${pctText(e.run.metrics.strategy.maxDrawdown)}`,
    );
    say(formatDiagnostics(e.diagnostics, e.run.metrics.strategy).trimEnd());
  }
  const figures = (name: string): Record<string, number | null> => {
    const e = evaluations.find((x) => x.name === name);
    return e === undefined ? {} : periodFigures(e);
  };
  return updateManifest(dir, {
    ...manifest,
    metrics: {
      validation: { ...manifest.metrics.validation, ...figures('validation') },
      test: manifest.metrics.test === null ? null : { ...manifest.metrics.test, ...figures('test') },
    },
  });
}

function pctText(x: number | null): string {
  return x === null ? '—' : `${(x * 100).toFixed(2)}%`;
}

export const command: CliCommand = {
  name: 'train',
  help: HELP,
  run: (args, ctx) => runTrain(parseTrainArgs(args), ctx),
};
