import { appendFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Timeframe } from '../../core/candle.js';
import { DataError } from '../../core/errors.js';
import { barReturns } from '../../backtest/metrics.js';
import { deflatedSharpe, returnMoments } from '../../backtest/diagnostics/deflated-sharpe.js';
import { readCandleFile } from '../../market/candle-csv.js';
import { isInt, parseIsoDate, parseNumber, parseOptions } from '../cli-args.js';
import { UsageError, type CliCommand, type CliContext } from '../command.js';
import { loadConfig } from '../config/load-config.js';
import { evaluateModelPeriods, type NamedSeries } from '../model-evaluation.js';
import { assignmentId, grid, parseBudget, POLICY_KEYS, searchSpaceSchema, TRAINING_KEYS, type Assignment } from '../tune/space.js';
import { parseTrainArgs, trainToFolder } from './train.js';

const HELP = `Usage: wick tune --data A.csv [--data B.csv ...] --to ISO --space SPACE.json --out DIR [options]

Searches a declared space of model and policy settings. Every model configuration is trained on
the data before --to (candles from --to on are never read: keep your test period after it) and
judged on its validation split (the last --val-fraction of the training period) by a backtest with
the configured risk and costs; policy settings are tried on each trained model without retraining.
Every trial is reported (the number of trials is visible) with the deflated Sharpe ratio of the
best, which discounts its validation Sharpe for the number of trials. Trials are appended to
DIR/trials.jsonl as they finish: after Ctrl-C, the same command resumes where it stopped.

Options (default in brackets):
  --data FILE          candle CSV; repeat to pool pairs
  --to ISO             end of the data used (exclusive): the test period starts here
  --space FILE         JSON search space, e.g. {"window":[24,48],"hidden":[16,32],"entryQuantile":[0.8,0.9]}
                       keys: spec, window, hidden, layers, horizons, target, loss, lr (trained),
                       entryQuantile, exitQuantile, sizing, costAware (policy, no retraining)
  --out DIR            trials.jsonl, the trained models, summary.json and chosen/ (the chosen model)
  --budget DURATION    stop starting new trainings after this long, e.g. 30m, 1h [30m];
                       0s trains nothing and reports the trials recorded so far
  --epochs N           maximum epochs per training [8]
  --timing-shifts K    timing test on validation: ±1…±K bars [5]
  --threads N          training threads per model [1]
  --seed N             training seed [42]

Example:
  wick tune --data ../shared/data/BTC_USDT-1h.csv --data ../shared/data/ETH_USDT-1h.csv \\
    --to 2023-01-01 --space tune-space.json --out out/tune --budget 30m`;

export interface TuneOptions {
  readonly data: readonly string[];
  readonly toMs: number;
  readonly space: string;
  readonly out: string;
  readonly budgetMs: number;
  readonly epochs: number;
  readonly timingShifts: number;
  readonly threads: number;
  readonly seed: number;
}

export function parseTuneArgs(args: readonly string[]): TuneOptions {
  const values = parseOptions(args, {
    data: { type: 'string', multiple: true },
    to: { type: 'string' },
    space: { type: 'string' },
    out: { type: 'string' },
    budget: { type: 'string' },
    epochs: { type: 'string' },
    'timing-shifts': { type: 'string' },
    threads: { type: 'string' },
    seed: { type: 'string' },
  });
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const data = (values['data'] as string[] | undefined) ?? [];
  if (data.length === 0) throw new UsageError('--data FILE.csv is required (repeat it to pool several files)');
  const toMs = parseIsoDate('--to', str('to'));
  if (toMs === undefined) throw new UsageError('--to ISO is required: the first date NOT used (your test period starts there)');
  const space = str('space');
  if (space === undefined) throw new UsageError('--space FILE.json is required (see wick tune --help)');
  const out = str('out');
  if (out === undefined) throw new UsageError('--out DIR is required');
  let budgetMs: number;
  try {
    budgetMs = parseBudget(str('budget') ?? '30m');
  } catch (error) {
    throw new UsageError(`--budget: ${(error as Error).message}`);
  }
  return {
    data,
    toMs,
    space,
    out,
    budgetMs,
    epochs: parseNumber('--epochs', str('epochs'), 8, isInt(1, 10_000), 'a positive integer'),
    timingShifts: parseNumber('--timing-shifts', str('timing-shifts'), 5, isInt(0, 100), 'an integer from 0 to 100'),
    threads: parseNumber('--threads', str('threads'), 1, isInt(1, 64), 'an integer from 1 to 64'),
    seed: parseNumber('--seed', str('seed'), 42, isInt(0, 2 ** 31 - 1), 'a non-negative integer'),
  };
}

/** One finished trial, as a line of trials.jsonl. */
export interface TrialRecord {
  readonly id: string;
  readonly modelKey: string;
  readonly model: Assignment;
  readonly policy: Assignment;
  readonly modelId: string;
  readonly validation: {
    readonly sharpe: number | null;
    readonly totalReturn: number | null;
    readonly maxDrawdown: number | null;
    readonly trades: number;
    readonly rankIc: number | null;
    readonly timingRank: number | null;
    readonly timingOf: number | null;
    readonly buyAndHoldAtCapSharpe: number | null;
    /** Per-bar Sharpe, skewness, kurtosis and count of the validation returns (for the deflated Sharpe ratio). */
    readonly moments: { readonly sharpe: number; readonly skew: number; readonly kurtosis: number; readonly n: number } | null;
  };
}

async function readTrials(path: string): Promise<TrialRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  // a line cut short by a hard kill is dropped; its trial simply runs again
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as TrialRecord];
    } catch {
      return [];
    }
  });
}

function trainArgsFor(options: TuneOptions, model: Assignment, out: string): string[] {
  const args = ['--data', 'unused.csv', '--out', out, '--epochs', String(options.epochs), '--seed', String(options.seed), '--threads', String(options.threads)];
  for (const [k, v] of Object.entries(model)) args.push(`--${k}`, String(v));
  return args;
}

const score = (t: TrialRecord): number => t.validation.sharpe ?? Number.NEGATIVE_INFINITY;
const fmt = (x: number | null, d = 2): string => (x === null ? '—' : x.toFixed(d));

export async function runTune(options: TuneOptions, ctx: CliContext): Promise<number> {
  const say = (line: string): void => {
    ctx.stderr.write(`${line}\n`);
  };
  const spaceText = await readFile(resolve(ctx.cwd, options.space), 'utf8').catch((error: Error) => {
    throw new UsageError(`--space ${options.space}: ${error.message}`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(spaceText);
  } catch (error) {
    throw new UsageError(`--space ${options.space}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = searchSpaceSchema.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(`--space ${options.space}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const space = parsed.data;
  const models = grid(space, TRAINING_KEYS);
  const policies = grid(space, POLICY_KEYS);
  const out = resolve(ctx.cwd, options.out);
  await mkdir(join(out, 'models'), { recursive: true });
  const trialsPath = join(out, 'trials.jsonl');

  const inputs: NamedSeries[] = [];
  let timeframe: Timeframe | undefined;
  for (const path of options.data) {
    const file = await readCandleFile(resolve(ctx.cwd, path), { displayName: path });
    if (file.timeframe === undefined) throw new DataError('too few rows to infer the timeframe', { file: path });
    timeframe ??= file.timeframe;
    inputs.push({ name: basename(path), candles: file.candles.filter((c) => c.openTimeMs < options.toMs) });
  }
  const tf = timeframe as Timeframe;

  const done = await readTrials(trialsPath);
  const doneIds = new Set(done.map((t) => t.id));
  say(
    `tune: ${models.length} model configuration(s) × ${policies.length} policy setting(s) = ${models.length * policies.length} trials; ${done.length} already in ${options.out}/trials.jsonl; budget ${Math.round(options.budgetMs / 60_000)} min`,
  );
  const started = performance.now();
  let trained = 0;
  let stoppedBy: 'done' | 'budget' | 'interrupted' = 'done';
  for (const [mi, model] of models.entries()) {
    const modelKey = assignmentId(model);
    const pending = policies.filter((p) => !doneIds.has(assignmentId({ ...model, ...p, seed: options.seed })));
    if (pending.length === 0) continue;
    const elapsed = performance.now() - started;
    if (elapsed >= options.budgetMs) {
      stoppedBy = 'budget';
      break;
    }
    const dir = join(out, 'models', modelKey);
    const trainOptions = { ...parseTrainArgs(trainArgsFor(options, model, dir)), data: options.data, toMs: options.toMs, testFromMs: null };
    const eta = trained > 0 ? ((performance.now() - started) / trained) * (models.length - mi) : Number.NaN;
    say(
      `[${mi + 1}/${models.length}] training ${JSON.stringify(model)} (elapsed ${Math.round(elapsed / 1000)} s${Number.isFinite(eta) ? `, eta ${Math.round(eta / 1000)} s` : ''})`,
    );
    await rm(dir, { recursive: true, force: true });
    const manifest = await trainToFolder(inputs, tf, trainOptions, dir, ctx, true);
    if (ctx.signal.aborted) {
      stoppedBy = 'interrupted';
      break;
    }
    trained++;
    for (const policy of pending) {
      const env: Record<string, string | undefined> = { ...ctx.env };
      if (policy['entryQuantile'] !== undefined) env['WICK_ENTRY_QUANTILE'] = String(policy['entryQuantile']);
      if (policy['exitQuantile'] !== undefined) env['WICK_EXIT_QUANTILE'] = String(policy['exitQuantile']);
      if (policy['sizing'] !== undefined) env['WICK_SIZING'] = String(policy['sizing']);
      if (policy['costAware'] !== undefined) env['WICK_COST_AWARE'] = String(policy['costAware']);
      const config = loadConfig(env);
      const s = manifest.training.splits;
      const [e] = await evaluateModelPeriods(
        dir,
        inputs,
        [{ name: 'validation', fromMs: s.validationFromMs, toMs: s.validationToMs + 1 }],
        config,
        options.timingShifts,
      );
      if (e === undefined) continue;
      const m = e.run.metrics.strategy;
      const capped = e.diagnostics.baselines.find((b) => b.name.startsWith('buy & hold') && !b.name.endsWith('100%'));
      const record: TrialRecord = {
        id: assignmentId({ ...model, ...policy, seed: options.seed }),
        modelKey,
        model,
        policy,
        modelId: manifest.modelId,
        validation: {
          sharpe: m.sharpe,
          totalReturn: m.totalReturn,
          maxDrawdown: m.maxDrawdown,
          trades: m.trades,
          rankIc: e.diagnostics.signal.ic[0]?.rank ?? null,
          timingRank: e.diagnostics.timing?.rank ?? null,
          timingOf: e.diagnostics.timing?.of ?? null,
          buyAndHoldAtCapSharpe: capped?.metrics.sharpe ?? null,
          moments: returnMoments(barReturns(e.run.equity)),
        },
      };
      await appendFile(trialsPath, `${JSON.stringify(record)}\n`);
      done.push(record);
      doneIds.add(record.id);
      say(
        `  trial ${record.id} ${JSON.stringify(policy)}: validation Sharpe ${fmt(m.sharpe)}, return ${fmt(m.totalReturn === null ? null : m.totalReturn * 100)}%, ${m.trades} trades, timing rank ${record.validation.timingRank ?? '—'}/${record.validation.timingOf ?? '—'}`,
      );
    }
  }
  const ranked = [...done].sort((a, b) => score(b) - score(a));
  const best = ranked[0];
  const perBarSharpes = ranked.map((t) => t.validation.moments?.sharpe).filter((x): x is number => x !== undefined);
  const dsr = best?.validation.moments ? deflatedSharpe(best.validation.moments, perBarSharpes) : null;
  const lines = [
    `${'rank'.padEnd(5)}${'trial'.padEnd(12)}${'val Sharpe'.padStart(11)}${'return'.padStart(9)}${'max DD'.padStart(8)}${'trades'.padStart(8)}${'rank IC'.padStart(9)}${'timing'.padStart(8)}${'B&H cap'.padStart(9)}  settings`,
    ...ranked.map(
      (t, i) =>
        `${String(i + 1).padEnd(5)}${t.id.padEnd(12)}${fmt(t.validation.sharpe).padStart(11)}${`${fmt(t.validation.totalReturn === null ? null : t.validation.totalReturn * 100, 1)}%`.padStart(9)}${`${fmt(t.validation.maxDrawdown === null ? null : t.validation.maxDrawdown * 100, 1)}%`.padStart(8)}${String(t.validation.trades).padStart(8)}${fmt(t.validation.rankIc, 3).padStart(9)}${`${t.validation.timingRank ?? '—'}/${t.validation.timingOf ?? '—'}`.padStart(8)}${fmt(t.validation.buyAndHoldAtCapSharpe).padStart(9)}  ${JSON.stringify({ ...t.model, ...t.policy })}`,
    ),
  ];
  ctx.stdout.write(`${lines.join('\n')}\n`);
  const note =
    stoppedBy === 'budget'
      ? `budget spent after ${trained} training(s) this run: not every configuration was tried`
      : stoppedBy === 'interrupted'
        ? 'interrupted: run the same command again to resume'
        : 'every trial done';
  ctx.stdout.write(
    `${ranked.length} trials (${note}); selected on validation Sharpe, never on test data.${best === undefined ? '' : ` Deflated Sharpe ratio of the best over ${perBarSharpes.length} trials: ${fmt(dsr, 3)} (the probability its validation Sharpe is not luck of the search; below 0.95 is not significant).`}\n`,
  );
  if (best !== undefined && stoppedBy !== 'interrupted') {
    const chosen = join(out, 'chosen');
    await rm(chosen, { recursive: true, force: true });
    await cp(join(out, 'models', best.modelKey), chosen, { recursive: true });
    const env = Object.entries({
      WICK_ENTRY_QUANTILE: best.policy['entryQuantile'],
      WICK_EXIT_QUANTILE: best.policy['exitQuantile'],
      WICK_SIZING: best.policy['sizing'],
      WICK_COST_AWARE: best.policy['costAware'],
    })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${String(v)}`);
    await writeFile(
      join(out, 'summary.json'),
      `${JSON.stringify({ trials: ranked.length, stoppedBy, deflatedSharpe: dsr, chosen: best, policyEnvironment: env, ranked }, null, 2)}\n`,
    );
    ctx.stdout.write(`chosen: trial ${best.id} → ${options.out}/chosen (model ${best.modelId})${env.length > 0 ? `; trade it with ${env.join(' ')}` : ''}\n`);
  }
  return stoppedBy === 'interrupted' ? 130 : 0;
}

export const command: CliCommand = {
  name: 'tune',
  summary: 'Search model and policy settings, judged on validation, every trial reported',
  help: HELP,
  run: (args, ctx) => runTune(parseTuneArgs(args), ctx),
};
