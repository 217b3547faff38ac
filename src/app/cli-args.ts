import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isTimeframe, type Timeframe } from '../core/candle.js';
import type { PipelineRole } from '../pipeline/index.js';
import { UsageError } from './command.js';

/**
 * Argument parsing shared by the commands: node's parseArgs in strict mode, every problem turned
 * into a UsageError (exit status 2, the message and the command's usage are printed).
 */
export type OptionValues = Record<string, string | string[] | boolean | undefined>;

export function parseOptions(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): OptionValues {
  try {
    return parseArgs({ args: [...args], strict: true, options }).values as OptionValues;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** As parseOptions, for commands that also take positional arguments (`wick model show ID`). */
export function parseOptionsAndPositionals(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { values: OptionValues; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], strict: true, allowPositionals: true, options });
    return { values: parsed.values as OptionValues, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A string option, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** `2023-01-01` (UTC midnight) or a full ISO 8601 time, as epoch ms. */
export function parseIsoDate(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(ms)) throw new UsageError(`${flag} "${value}" is not a date; use ISO 8601, e.g. 2023-01-01 or 2023-01-01T00:00:00Z`);
  return ms;
}

/** A number option checked by `check`, or the fallback when absent. */
export function parseNumber(flag: string, value: string | undefined, fallback: number, check: (n: number) => boolean, expected: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} "${value}": expected ${expected}`);
  return n;
}

export const isInt =
  (min: number, max: number) =>
  (n: number): boolean =>
    Number.isInteger(n) && n >= min && n <= max;

export function parseTimeframe(flag: string, value: string | undefined): Timeframe | undefined {
  if (value === undefined) return undefined;
  if (!isTimeframe(value)) throw new UsageError(`${flag} "${value}" is not a timeframe (1m, 5m, 15m, 30m, 1h, 4h, 1d)`);
  return value;
}

/** `--role` / WICK_ROLE: all, or one of the daemon's roles (trainer runs no pipeline role: []). */
export function parseRoles(role: string): PipelineRole[] {
  if (role === 'all') return ['ingest', 'signal', 'trader'];
  if (role === 'ingest' || role === 'signal' || role === 'trader') return [role];
  if (role === 'trainer') return [];
  throw new UsageError(`--role "${role}": expected all, ingest, signal, trader or trainer`);
}

/** `--role` and `--seed`, shared by `wick paper` and `wick live`. */
export function parseDaemonArgs(
  args: readonly string[],
  defaultRole: string,
  flags: { readonly fresh?: boolean; readonly retrainEnabled?: boolean } = {},
): { roles: PipelineRole[]; seed: number; fresh: boolean; trainer: boolean } {
  const values = parseOptions(args, {
    role: { type: 'string' },
    seed: { type: 'string' },
    ...(flags.fresh === true ? { fresh: { type: 'boolean' as const } } : {}),
  });
  const role = stringOption(values, 'role') ?? defaultRole;
  const roles = parseRoles(role);
  const retrainEnabled = flags.retrainEnabled === true;
  if (role === 'trainer' && !retrainEnabled) throw new UsageError('--role trainer needs WICK_RETRAIN_EVERY (e.g. 7d) and WICK_MODEL_REGISTRY');
  const seed = parseNumber('--seed', stringOption(values, 'seed'), 200, isInt(0, 100_000), 'a non-negative integer');
  return { roles, seed, fresh: values['fresh'] === true, trainer: role === 'trainer' || (role === 'all' && retrainEnabled) };
}
