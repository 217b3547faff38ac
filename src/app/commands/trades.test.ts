import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { AccountState, Trade } from '../../execution/index.js';
import { AccountStore, deleteKeysWithPrefix } from '../../pipeline/index.js';
import { runCli } from '../cli.js';
import { tradesToCsv } from './trades.js';

const REDIS_URL = process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `wt-trades-${randomUUID().slice(0, 8)}`;
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
afterAll(async () => {
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

/** RFC 4180 reader (the oracle for the writer). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  return rows;
}

const tradeArb: fc.Arbitrary<Trade> = fc.record({
  symbol: fc.string({ minLength: 1, maxLength: 12 }),
  side: fc.constantFrom('long' as const, 'short' as const),
  entryTimeMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  entryPrice: fc.double({ min: 1e-8, max: 1e7, noNaN: true }),
  exitTimeMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  exitPrice: fc.double({ min: 1e-8, max: 1e7, noNaN: true }),
  qty: fc.double({ min: 1e-8, max: 1e6, noNaN: true }),
  fee: fc.double({ min: 0, max: 1e4, noNaN: true }),
  pnl: fc.double({ min: -1e7, max: 1e7, noNaN: true }),
  exitReason: fc.string({ maxLength: 12 }),
});

function fromRow(r: string[]): Trade {
  const [symbol, side, entryTimeMs, entryPrice, exitTimeMs, exitPrice, qty, fee, pnl, exitReason] = r as [
    string,
    'long' | 'short',
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    symbol,
    side,
    entryTimeMs: Number(entryTimeMs),
    entryPrice: Number(entryPrice),
    exitTimeMs: Number(exitTimeMs),
    exitPrice: Number(exitPrice),
    qty: Number(qty),
    fee: Number(fee),
    pnl: Number(pnl),
    exitReason,
  };
}

async function wick(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c: Buffer) => (o += c.toString()));
  stderr.on('data', (c: Buffer) => (e += c.toString()));
  const code = await runCli(args, {
    stdout,
    stderr,
    env: { WICK_REDIS_URL: REDIS_URL, WICK_REDIS_PREFIX: prefix, WICK_LOG_LEVEL: 'error' },
    cwd: process.cwd(),
    signal: new AbortController().signal,
  });
  return { code, out: o, err: e };
}

describe('wick trades', () => {
  it('CSV round-trips any trade exactly: quoting, negative and tiny numbers (property)', () => {
    fc.assert(
      fc.property(fc.array(tradeArb, { maxLength: 8 }), (trades) => {
        const rows = parseCsv(tradesToCsv(trades));
        expect(rows[0]).toEqual(['symbol', 'side', 'entryTimeMs', 'entryPrice', 'exitTimeMs', 'exitPrice', 'qty', 'fee', 'pnl', 'exitReason']);
        expect(rows.slice(1).map(fromRow)).toEqual(trades.map((t) => ({ ...t, pnl: t.pnl === 0 ? 0 : t.pnl, fee: t.fee === 0 ? 0 : t.fee })));
      }),
      { numRuns: 300 },
    );
  });

  it('exports the full history of the paper and the live account from Redis, beyond one page', async () => {
    const trade = (i: number): Trade => ({
      symbol: 'BTC/USDT',
      side: 'long',
      entryTimeMs: i * 10,
      entryPrice: 100 + i,
      exitTimeMs: i * 10 + 5,
      exitPrice: 101 + i,
      qty: 0.5,
      fee: 0.1,
      pnl: 0.4,
      exitReason: i % 2 === 0 ? 'signal' : 'stop',
    });
    const paper = Array.from({ length: 1_203 }, (_, i) => trade(i));
    const state = {} as AccountState; // the history is kept apart from the state document
    await new AccountStore(redis, prefix, 'paper').save(state, paper.slice(0, 700));
    await new AccountStore(redis, prefix, 'paper').save(state, paper.slice(700));
    await new AccountStore(redis, prefix, 'live-binance').save(state, [trade(7)]);
    const json = await wick(['trades', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual(paper);
    const csv = await wick(['trades', '--csv', '--account', 'live']);
    expect(parseCsv(csv.out).slice(1).map(fromRow)).toEqual([trade(7)]);
  });

  it('asks for exactly one format and a known account (exit 2)', async () => {
    expect((await wick(['trades'])).code).toBe(2);
    expect((await wick(['trades', '--json', '--csv'])).code).toBe(2);
    const bad = await wick(['trades', '--json', '--account', 'mine']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/expected paper or live/);
  });
});
