import { plausibilityFromEnv } from '../config/load-config.js';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand, CliContext } from '../command.js';
import { UsageError } from '../command.js';
import type { Timeframe } from '../../core/candle.js';
import { TIMEFRAMES, isTimeframe, timeframeMs } from '../../core/candle.js';
import { WickError } from '../../core/errors.js';
import { FeatureEngine } from '../../features/engine.js';
import { SPEC_NAMES, getSpec } from '../../features/spec.js';
import { writeCsvAtomic } from '../../market/candle-csv-atomic.js';
import type { CsvCell } from '../../market/candle-csv-atomic.js';
import { readCandleFile } from '../../market/candle-csv.js';

const HELP = `Usage: wick features --data FILE.csv --out OUT.csv [--spec NAME] [--timeframe TF]

Computes the features of a feature spec over a candle CSV file (timestamp,open,high,low,close,volume)
with the same streaming engine the daemon uses, and writes one row per candle: timestamp plus one
column per feature, RAW values (not normalised), empty while a feature warms up. At a gap in the
candles every indicator restarts its warm-up. The input is validated row by row; the output is
written atomically (nothing is left behind on failure).

Options:
  --data FILE       candle CSV to read (required)
  --out FILE        feature CSV to write (required; replaced if it exists)
  --spec NAME       feature spec: ${SPEC_NAMES.join(', ')} (default: default)
  --timeframe TF    candle timeframe: ${TIMEFRAMES.join(', ')} (default: inferred from the file)
  -h, --help        show this help

Exit status: 0 done, 2 bad arguments or invalid input (the message names file, line, column, reason), 1 other failure.

Example:
  wick features --data ../shared/data/BTC_USDT-1h.csv --spec default --out btc-features.csv
`;

interface FeaturesArgs {
  readonly data: string;
  readonly out: string;
  readonly spec: string;
  readonly timeframe: Timeframe | undefined;
}

function parse(args: readonly string[], cwd: string): FeaturesArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        data: { type: 'string' },
        out: { type: 'string' },
        spec: { type: 'string', default: 'default' },
        timeframe: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help === true) return 'help';
  if (values.data === undefined) throw new UsageError('--data FILE.csv is required');
  if (values.out === undefined) throw new UsageError('--out OUT.csv is required');
  const tf = values.timeframe;
  if (tf !== undefined && !isTimeframe(tf)) throw new UsageError(`--timeframe must be one of ${TIMEFRAMES.join(', ')}, got "${tf}"`);
  const data = path.resolve(cwd, values.data);
  const out = path.resolve(cwd, values.out);
  if (data === out) throw new UsageError('--out must differ from --data');
  return { data: values.data, out: values.out, spec: values.spec, timeframe: tf };
}

async function run(args: readonly string[], ctx: CliContext): Promise<number> {
  let parsed: FeaturesArgs | 'help';
  try {
    parsed = parse(args, ctx.cwd);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    ctx.stderr.write(`wick features: ${err.message}\n\n${HELP}`);
    return 2;
  }
  if (parsed === 'help') {
    ctx.stdout.write(HELP);
    return 0;
  }
  try {
    const spec = getSpec(parsed.spec);
    // Paths resolve against ctx.cwd; messages name the file as the user typed it.
    const plausibility = plausibilityFromEnv(ctx.env);
    const readOpts =
      parsed.timeframe === undefined ? { displayName: parsed.data, plausibility } : { displayName: parsed.data, timeframe: parsed.timeframe, plausibility };
    const file = await readCandleFile(path.resolve(ctx.cwd, parsed.data), readOpts);
    const timeframe = parsed.timeframe ?? file.timeframe ?? '1h';
    const engine = new FeatureEngine(spec, timeframeMs(timeframe));
    const values = engine.values();
    function* rows(): Generator<CsvCell[]> {
      for (const c of file.candles) {
        if (ctx.signal.aborted) throw new Error('aborted by signal; no output written');
        engine.update(c);
        const row: CsvCell[] = [c.openTimeMs];
        for (let f = 0; f < values.length; f++) row.push(values[f]!);
        yield row;
      }
    }
    await writeCsvAtomic(path.resolve(ctx.cwd, parsed.out), ['timestamp', ...engine.ids], rows());
    ctx.stdout.write(
      `wrote ${file.candles.length} rows x ${engine.featureCount} features (spec ${spec.name}, ${timeframe}, ${engine.gapCount} gaps) to ${parsed.out}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof WickError && (err.code === 'DATA_INVALID' || err.code === 'CONFIG_INVALID')) {
      ctx.stderr.write(`wick features: ${err.message}\n`);
      return 2;
    }
    ctx.stderr.write(`wick features: ${(err as Error).message}\n`);
    return 1;
  }
}

export const command: CliCommand = {
  name: 'features',
  help: HELP,
  run,
};
