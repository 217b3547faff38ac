import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timeframeMs, type Candle, type Logger, type SeriesKey } from '../../core/index.js';
import { parseDiagnosedResult } from '../../backtest/diagnostics/schema.js';
import { CANDLE_CSV_HEADER } from '../../market/candle-csv.js';
import type { ModelRegistry } from '../../model/registry.js';
import { trainOptionsFromManifest } from '../walk-forward.js';
import { judgeChallenger, type Evaluation, type Verdict } from './judge.js';

/** Runs one `wick` command off the trading hot path and returns its exit status and output. */
export type WickRunner = (args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

export interface RetrainSettings {
  /** Sharpe the challenger must gain over the champion (WICK_PROMOTE_MARGIN). */
  readonly margin: number;
  /** The most recent days held out of training, on which both models are evaluated (WICK_RETRAIN_EVAL_DAYS). */
  readonly evalDays: number;
  /** Epoch cap for the challenger (WICK_RETRAIN_EPOCHS); default the champion's. */
  readonly epochs?: number | undefined;
}

export interface RetrainDeps {
  readonly registry: ModelRegistry;
  /** The candle store: every stored candle of a series, ascending. */
  readonly history: { range(series: SeriesKey, fromMs: number, toMs: number): Promise<Candle[]> };
  readonly series: readonly SeriesKey[];
  readonly settings: RetrainSettings;
  readonly logger: Logger;
  /** Scratch space for the candle files, the challenger and the evaluation results. */
  readonly workDir: string;
  readonly runWick: WickRunner;
}

export type RetrainOutcome =
  | {
      readonly status: 'promoted' | 'rejected';
      readonly champion: string;
      readonly challenger: string;
      readonly reason: string;
      readonly evaluations: { readonly champion: Evaluation; readonly challenger: Evaluation };
    }
  | { readonly status: 'failed' | 'skipped'; readonly champion: string | null; readonly reason: string };

const BY = 'trainer';

/**
 * A child process running the wick CLI of this build (the TypeScript sources through tsx in a
 * checkout, dist/ in an install), so training and evaluation never share the daemon's event loop.
 */
export function childWickRunner(options: { readonly env: Readonly<Record<string, string | undefined>>; readonly cwd: string }): WickRunner {
  const self = fileURLToPath(import.meta.url);
  const ts = self.endsWith('.ts');
  const cli = fileURLToPath(new URL(`../cli.${ts ? 'ts' : 'js'}`, import.meta.url));
  return (args) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), cli, ...args], {
        cwd: options.cwd,
        env: { ...options.env, WICK_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-20_000)));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code: code ?? (signal !== null ? 128 : 1), stdout, stderr }));
    });
}

const fileName = (s: SeriesKey): string => `${s.symbol.replace('/', '_')}-${s.timeframe}.csv`;
const iso = (ms: number): string => new Date(ms).toISOString();
const lastLine = (text: string): string => text.trim().split('\n').filter(Boolean).at(-1) ?? '';

async function evaluate(run: WickRunner, files: readonly string[], modelDir: string, modelId: string, fromMs: number, out: string): Promise<Evaluation> {
  const r = await run(['backtest', ...files.flatMap((f) => ['--data', f]), '--model', modelDir, '--from', iso(fromMs), '--json', out]);
  if (r.code !== 0) throw new Error(`evaluating ${modelId} failed (exit ${r.code}): ${lastLine(r.stderr)}`);
  const result = parseDiagnosedResult(JSON.parse(await readFile(out, 'utf8')));
  const t = result.diagnostics?.timing ?? null;
  const s = result.metrics.strategy;
  return { modelId, sharpe: s.sharpe, totalReturn: s.totalReturn, trades: s.trades, timing: t === null ? null : { rank: t.rank, of: t.of, pValue: t.pValue } };
}

/**
 * One retraining: a challenger trained with the champion's settings on the candle store's history
 * up to the evaluation window, registered (lineage: parent = champion), then challenger and
 * champion backtested on that same most recent window with costs, and the challenger promoted only
 * when judgeChallenger says so. Every outcome is logged and recorded in the registry history; any
 * failure leaves the champion as it was (the registry writes nothing half-done).
 */
export async function retrainOnce(deps: RetrainDeps): Promise<RetrainOutcome> {
  const { registry, logger, settings } = deps;
  const log = logger.child({ component: 'trainer' });
  const pointer = await registry.champion();
  if (pointer === null) return { status: 'skipped', champion: null, reason: 'the registry has no champion to retrain' };
  const champion = await registry.find(pointer.id);
  if (champion === null) return { status: 'skipped', champion: pointer.id, reason: `the champion ${pointer.id} is missing from the registry` };
  if ('kind' in champion.manifest.architecture)
    return { status: 'skipped', champion: champion.id, reason: `the champion ${champion.id} is an imported network; wick can run it but not retrain it` };

  await mkdir(deps.workDir, { recursive: true });
  const work = await mkdtemp(join(deps.workDir, 'retrain-'));
  const fail = async (reason: string): Promise<RetrainOutcome> => {
    log.error({ champion: champion.id, reason }, 'retraining failed; the champion keeps trading');
    await registry.note('failed', champion.id, BY, reason);
    return { status: 'failed', champion: champion.id, reason };
  };
  try {
    const tfMs = timeframeMs(champion.manifest.timeframe);
    const files: string[] = [];
    let lastOpen = Number.NEGATIVE_INFINITY;
    for (const s of deps.series) {
      const candles = await deps.history.range(s, 0, Number.MAX_SAFE_INTEGER);
      const path = join(work, fileName(s));
      await writeFile(path, `${CANDLE_CSV_HEADER}\n${candles.map((c) => `${c.openTimeMs},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}\n`);
      files.push(path);
      lastOpen = Math.max(lastOpen, candles.at(-1)?.openTimeMs ?? Number.NEGATIVE_INFINITY);
    }
    if (!Number.isFinite(lastOpen)) return await fail('the candle store holds no candles of the traded series');
    const evalFromMs = Math.floor((lastOpen + tfMs - settings.evalDays * 86_400_000) / tfMs) * tfMs;

    const o = trainOptionsFromManifest(champion.manifest);
    const challengerDir = join(work, 'challenger');
    const trainArgs = [
      'train',
      ...files.flatMap((f) => ['--data', f]),
      '--out',
      challengerDir,
      '--to',
      iso(evalFromMs),
      '--spec',
      o.spec,
      '--target',
      o.target,
      '--horizons',
      String(o.horizons),
      '--loss',
      o.loss,
      '--window',
      String(o.window),
      '--hidden',
      String(o.hidden),
      '--layers',
      String(o.layers),
      '--epochs',
      String(settings.epochs ?? o.epochs),
      '--batch',
      String(o.batch),
      '--lr',
      String(o.lr),
      '--weight-decay',
      String(o.weightDecay),
      '--clip',
      String(o.clip),
      '--dropout',
      String(o.dropout),
      '--layer-dropout',
      String(o.layerDropout),
      '--bptt',
      String(Math.min(o.bptt ?? o.window, o.window)),
      '--patience',
      String(o.patience),
      '--seed',
      String(o.seed),
      '--val-fraction',
      String(o.valFraction),
    ];
    log.info({ champion: champion.id, trainTo: iso(evalFromMs), series: deps.series.length }, 'retraining a challenger');
    const trained = await deps.runWick(trainArgs);
    if (trained.code !== 0) return await fail(`training the challenger failed (exit ${trained.code}): ${lastLine(trained.stderr)}`);
    const challenger = await registry.add(challengerDir, { parent: champion.id, source: 'trainer', by: BY });

    const evaluations = {
      champion: await evaluate(deps.runWick, files, champion.dir, champion.id, evalFromMs, join(work, 'champion.json')),
      challenger: await evaluate(deps.runWick, files, challenger.dir, challenger.id, evalFromMs, join(work, 'challenger.json')),
    };
    const verdict: Verdict = judgeChallenger(evaluations.champion, evaluations.challenger, settings.margin);
    const window = `on ${iso(evalFromMs).slice(0, 10)} → ${iso(lastOpen).slice(0, 10)}`;
    if (!verdict.promote) {
      log.warn({ champion: champion.id, challenger: challenger.id, evaluations, reason: verdict.reason }, 'challenger rejected');
      await registry.note('rejected', challenger.id, BY, `${verdict.reason} (${window})`);
      return { status: 'rejected', champion: champion.id, challenger: challenger.id, reason: verdict.reason, evaluations };
    }
    await registry.promote(challenger.id, BY, `${verdict.reason} (${window})`);
    log.info({ champion: champion.id, challenger: challenger.id, evaluations, reason: verdict.reason }, 'challenger promoted');
    return { status: 'promoted', champion: champion.id, challenger: challenger.id, reason: verdict.reason, evaluations };
  } catch (error) {
    return await fail((error as Error).message);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
