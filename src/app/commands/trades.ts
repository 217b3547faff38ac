import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Trade } from '../../execution/index.js';
import { AccountStore } from '../../pipeline/index.js';
import { loadConfig, type Config } from '../config/load-config.js';
import { parseOptions, stringOption } from '../cli-args.js';
import { UsageError, type CliCommand, type CliContext } from '../command.js';
import { accountFor } from '../modes.js';

const HELP = `Usage: wick trades (--json | --csv) [--account paper|live] [--out FILE]

Exports the full trade history of a trading account from Redis (every closed round trip, oldest
first): the paper account, or the live account of WICK_EXCHANGE. Both modes keep it the same way
(<WICK_REDIS_PREFIX>:account:<account>:trades), appended in the same transaction as the state that
closed the trade, so a restart neither loses nor doubles one.

Options:
  --json          a JSON array of trades
  --csv           CSV: symbol,side,entryTimeMs,entryPrice,exitTimeMs,exitPrice,qty,fee,pnl,exitReason
  --account NAME  paper | live [paper]
  --out FILE      write to FILE instead of standard output

Example:
  wick trades --csv --out paper-trades.csv`;

const COLUMNS = ['symbol', 'side', 'entryTimeMs', 'entryPrice', 'exitTimeMs', 'exitPrice', 'qty', 'fee', 'pnl', 'exitReason'] as const;

/** One CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
function field(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Trades as CSV (header line, one line per trade; numbers as JavaScript prints them, exact round trip). */
export function tradesToCsv(trades: readonly Trade[]): string {
  return [COLUMNS.join(','), ...trades.map((t) => COLUMNS.map((c) => field(t[c])).join(','))].join('\n') + '\n';
}

const PAGE = 1_000;

export async function runTrades(args: readonly string[], ctx: CliContext, config: Config = loadConfig(ctx.env)): Promise<number> {
  const values = parseOptions(args, { json: { type: 'boolean' }, csv: { type: 'boolean' }, account: { type: 'string' }, out: { type: 'string' } });
  const json = values['json'] === true;
  const csv = values['csv'] === true;
  if (json === csv) throw new UsageError('give exactly one of --json or --csv');
  const which = stringOption(values, 'account') ?? 'paper';
  if (which !== 'paper' && which !== 'live') throw new UsageError(`--account "${which}": expected paper or live`);
  const account = accountFor(which, config);
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const trades: Trade[] = [];
  try {
    await redis.connect();
    const store = new AccountStore(redis, config.redis.prefix, account);
    for (let offset = 0; ; offset += PAGE) {
      const page = await store.trades(offset, PAGE);
      trades.push(...page.trades);
      if (trades.length >= page.total || page.trades.length === 0) break;
    }
  } finally {
    redis.disconnect();
  }
  const text = json ? `${JSON.stringify(trades, null, 2)}\n` : tradesToCsv(trades);
  const out = stringOption(values, 'out');
  if (out === undefined) ctx.stdout.write(text);
  else {
    await writeFile(resolve(ctx.cwd, out), text);
    ctx.stderr.write(`wick trades: ${trades.length} trades of account ${account} written to ${out}\n`);
  }
  return 0;
}

export const command: CliCommand = {
  name: 'trades',
  help: HELP,
  run: (args, ctx) => runTrades(args, ctx),
};
