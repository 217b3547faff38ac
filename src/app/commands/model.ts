import { mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { SPEC_NAMES } from '../../features/index.js';
import { loadingVerifier, ModelRegistry, RegistryError, type RegistryEntry } from '../../model/registry.js';
import { createLogger } from '../../obs/logger.js';
import { isInt, parseIsoDate, parseNumber, parseOptions, parseOptionsAndPositionals, stringOption, parseTimeframe } from '../cli-args.js';
import { UsageError, type CliCommand, type CliContext } from '../command.js';
import { loadConfig, secretsOf, type Config } from '../config/load-config.js';
import { importOnnxModel, type ImportOptions } from '../model-import.js';
import { modelDetail, modelSummary } from '../model-port.js';
import { loadSeriesFiles } from '../series-files.js';

const HELP = `Usage: wick model <subcommand> [options]

Bring your own ONNX model, and manage the model registry (WICK_MODEL_REGISTRY or --registry DIR).

  wick model import --onnx FILE --spec NAME --window N --horizons H --target KIND
                    --data FILE.csv [--data ...] --train-to ISO (--out DIR | --registry DIR)
      Validates an ONNX model that wick did not train (one float input (batch, window, features)
      with a dynamic batch axis, one float output (batch, horizons), default-domain opset >= 7,
      finite outputs on real windows, batch-independent results) and writes a model folder:
      manifest.json with the normalisation fitted on the candles before --train-to, and the drift
      guard and validation figures from the candles after it. With a registry, it is registered.
        --spec NAME          feature spec the model was trained on: ${SPEC_NAMES.join(', ')}
        --window N           candles per window
        --horizons H         comma list of steps ahead (1,2,3), or N for 1..N (ratio) / N (probability)
        --target KIND        ratio (outputs (close ratio - 1) x --target-scale) or probability (P(up))
        --target-scale X     ratio models: the output scale [1]
        --from ISO           ignore candles before this date for the normalisation
        --timeframe TF       candle timeframe of the files [inferred]
        --input NAME         graph input to feed [the only one]
        --output NAME        graph output to read [the only one]
        --drift-quantile Q   quantile of validation dissimilarity for the drift threshold [0.99]
        --drift-margin M     multiplier on that quantile [1.25]
  wick model add DIR [--parent ID]   register a model folder (e.g. written by \`wick train\`)
  wick model list                    registered models, the champion marked *
  wick model show ID                 manifest summary, lineage and promotion history of one model
  wick model promote ID [--reason TEXT]
      Makes ID the champion after loading and running it; a corrupt, truncated or mismatched model
      is refused and the champion keeps trading. Running daemons switch between two candles.
  wick model rollback [--reason TEXT]  back to the previous champion

Every subcommand takes --registry DIR (default WICK_MODEL_REGISTRY) and --by NAME (who acts,
recorded in the history; default cli:<user>). IDs may be abbreviated to a unique prefix.

Example:
  wick model import --onnx my-lstm.onnx --spec scale-free --window 32 --horizons 3 \\
    --target ratio --target-scale 100 --data ../shared/data/BTC_USDT-1h.csv \\
    --train-to 2023-01-01 --registry models/registry`;

function parseHorizons(raw: string | undefined, target: 'ratio' | 'probability'): number[] {
  if (raw === undefined) throw new UsageError('--horizons is required (e.g. 3 or 1,2,3)');
  if (/^\d+$/.test(raw)) {
    const n = parseNumber('--horizons', raw, 0, isInt(1, 64), 'an integer from 1 to 64');
    return target === 'ratio' ? Array.from({ length: n }, (_, k) => k + 1) : [n];
  }
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((h) => !Number.isInteger(h) || h < 1 || h > 1024))
    throw new UsageError(`--horizons "${raw}": expected a comma list of positive integers, e.g. 1,2,3`);
  if (list.some((h, i) => i > 0 && h <= list[i - 1]!)) throw new UsageError(`--horizons "${raw}": list them in increasing order`);
  return list;
}

const actor = (by: string | undefined): string => by ?? `cli:${userInfo().username}`;

function registryOf(dir: string | undefined, config: Config, cwd: string, ctx: CliContext): ModelRegistry {
  const root = dir ?? config.model.registry;
  if (root === undefined) throw new UsageError('no registry: pass --registry DIR or set WICK_MODEL_REGISTRY');
  const logger = createLogger({ level: 'warn', format: config.log.format, secrets: secretsOf(config), destination: ctx.stderr });
  return new ModelRegistry(resolve(cwd, root), { nowMs: () => Date.now(), verify: loadingVerifier(logger) });
}

async function runImport(args: readonly string[], ctx: CliContext, config: Config): Promise<number> {
  const values = parseOptions(args, {
    onnx: { type: 'string' },
    spec: { type: 'string' },
    window: { type: 'string' },
    horizons: { type: 'string' },
    target: { type: 'string' },
    'target-scale': { type: 'string' },
    data: { type: 'string', multiple: true },
    from: { type: 'string' },
    'train-to': { type: 'string' },
    timeframe: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    'drift-quantile': { type: 'string' },
    'drift-margin': { type: 'string' },
    out: { type: 'string' },
    registry: { type: 'string' },
    by: { type: 'string' },
  });
  const str = (k: string): string | undefined => stringOption(values, k);
  const onnx = str('onnx');
  if (onnx === undefined) throw new UsageError('--onnx FILE is required');
  const spec = str('spec');
  if (spec === undefined || !SPEC_NAMES.includes(spec)) throw new UsageError(`--spec is required: one of ${SPEC_NAMES.join(', ')}`);
  const window = parseNumber('--window', str('window'), Number.NaN, isInt(1, 4096), 'an integer from 1 to 4096');
  if (Number.isNaN(window)) throw new UsageError('--window N is required');
  const targetKind = str('target');
  if (targetKind !== 'ratio' && targetKind !== 'probability') throw new UsageError('--target is required: ratio or probability');
  const horizons = parseHorizons(str('horizons'), targetKind);
  const scale = parseNumber('--target-scale', str('target-scale'), 1, (n) => n > 0, 'a positive number');
  const data = (values['data'] as string[] | undefined) ?? [];
  if (data.length === 0) throw new UsageError('--data FILE.csv is required: the normalisation is fitted on it');
  const trainToMs = parseIsoDate('--train-to', str('train-to'));
  if (trainToMs === undefined)
    throw new UsageError("--train-to ISO is required: the end of the model's training data (normalisation is fitted before it, drift calibrated after it)");
  const out = str('out');
  const registryDir = str('registry') ?? config.model.registry;
  if (out === undefined && registryDir === undefined) throw new UsageError('give --out DIR, or --registry DIR (or WICK_MODEL_REGISTRY) to register the model');
  const series = await loadSeriesFiles(data, { cwd: ctx.cwd, exchange: 'import', timeframe: parseTimeframe('--timeframe', str('timeframe')) });
  const options: ImportOptions = {
    onnxPath: resolve(ctx.cwd, onnx),
    spec,
    window,
    horizons,
    target: targetKind === 'ratio' ? { kind: 'ratio', scale } : { kind: 'probability' },
    series,
    timeframe: series[0]!.key.timeframe,
    fromMs: parseIsoDate('--from', str('from')),
    trainToMs,
    inputName: str('input'),
    outputName: str('output'),
    drift: {
      quantile: parseNumber('--drift-quantile', str('drift-quantile'), 0.99, (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
      margin: parseNumber('--drift-margin', str('drift-margin'), 1.25, (n) => n >= 1, 'a number >= 1'),
    },
  };
  let registered: RegistryEntry | null = null;
  let folder: string;
  if (out !== undefined) {
    folder = resolve(ctx.cwd, out);
    await importOnnxModel(options, folder);
  } else {
    // Written to a scratch folder first, then copied into the registry whole.
    const scratch = await mkdtemp(join(resolve(ctx.cwd, registryDir as string), '.import-'));
    try {
      await importOnnxModel(options, scratch);
      registered = await registryOf(registryDir, config, ctx.cwd, ctx).add(scratch, { parent: null, source: 'import', by: actor(str('by')) });
      folder = registered.dir;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  if (out !== undefined && str('registry') !== undefined)
    registered = await registryOf(registryDir, config, ctx.cwd, ctx).add(folder, { parent: null, source: 'import', by: actor(str('by')) });
  ctx.stdout.write(`${JSON.stringify({ imported: onnx, folder, ...(registered !== null ? modelSummary(registered) : {}) })}\n`);
  ctx.stderr.write(
    `imported ${onnx}${registered !== null ? ` as ${registered.id}; promote it with \`wick model promote ${registered.id}\`` : ` into ${folder}`}\n`,
  );
  return 0;
}

export async function runModelCommand(args: readonly string[], ctx: CliContext, config: Config = loadConfig(ctx.env)): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'import') return runImport(rest, ctx, config);
  const { values, positionals } = parseOptionsAndPositionals(rest, {
    registry: { type: 'string' },
    by: { type: 'string' },
    reason: { type: 'string' },
    parent: { type: 'string' },
  });
  const positional = positionals[0];
  const registry = registryOf(stringOption(values, 'registry'), config, ctx.cwd, ctx);
  const by = actor(stringOption(values, 'by'));
  const print = (v: unknown): void => {
    ctx.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  };
  try {
    switch (sub) {
      case 'add': {
        const dir = positional;
        if (dir === undefined) throw new UsageError('wick model add DIR: the model folder to register');
        const entry = await registry.add(resolve(ctx.cwd, dir), { parent: stringOption(values, 'parent') ?? null, source: 'add', by });
        print(modelSummary(entry));
        return 0;
      }
      case 'list': {
        const rows = await registry.list();
        if (rows.length === 0) ctx.stderr.write(`no models in ${registry.root}; add one with \`wick model add DIR\` or \`wick model import\`\n`);
        for (const r of rows) {
          if (!r.ok) {
            ctx.stdout.write(`  ${r.id}  UNREADABLE: ${r.error.split('\n')[0]}\n`);
            continue;
          }
          const e = r.entry;
          ctx.stdout.write(
            `${e.champion ? '*' : ' '} ${e.id}  ${e.manifest.modelId.padEnd(20)} ${(e.manifest.origin?.kind ?? 'trained').padEnd(8)} ${e.manifest.timeframe} ${e.manifest.featureSpec.name} T=${e.manifest.windowLength} added ${e.lineage.addedAt} by ${e.lineage.addedBy}\n`,
          );
        }
        return 0;
      }
      case 'show': {
        if (positional === undefined) throw new UsageError('wick model show ID');
        const detail = await modelDetail(registry, positional);
        if (detail === null) throw new RegistryError(`no model ${positional} in the registry (or the prefix is ambiguous)`, 'NOT_FOUND');
        print(detail);
        return 0;
      }
      case 'promote': {
        if (positional === undefined) throw new UsageError('wick model promote ID');
        print(await registry.promote(positional, by, stringOption(values, 'reason') ?? 'promoted by an operator'));
        return 0;
      }
      case 'rollback':
        print(await registry.rollback(by, stringOption(values, 'reason') ?? 'rolled back by an operator'));
        return 0;
      default:
        throw new UsageError(`unknown subcommand "${sub ?? ''}": import, add, list, show, promote or rollback`);
    }
  } catch (error) {
    if (error instanceof RegistryError) {
      ctx.stderr.write(`wick model ${sub}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

export const command: CliCommand = {
  name: 'model',
  help: HELP,
  run: (args, ctx) => runModelCommand(args, ctx),
};
