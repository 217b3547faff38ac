import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExchangeSimulator, type SimulatorHandle } from '../../simulator/simulator.js';
import { randomModelFolder } from '../../../test/support/random-model.js';
import { LIVE_CONFIRMATION } from '../config/variables.js';
import type { CliContext } from '../command.js';
import { checkClock, command, formatDoctorReport, type DoctorExchange } from './doctor.js';

const KEY = 'doctor-key-1234567';
const SECRET = 'doctor-secret-7654321';
const REDIS_URL = process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function sink(): { stream: Writable; text: () => string } {
  let buf = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => buf };
}

async function runDoctor(env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const ctx: CliContext = { stdout: out.stream, stderr: err.stream, env, cwd: process.cwd(), signal: new AbortController().signal };
  const code = await command.run([], ctx);
  return { code, out: out.text(), err: err.text() };
}

let sim: SimulatorHandle;
let modelDir: string;

beforeAll(async () => {
  const now = Date.now();
  sim = await startExchangeSimulator({
    markets: [
      {
        symbol: 'BTC/USDT',
        pricePath: [
          { timeMs: now - 3_600_000, price: 100 },
          { timeMs: now + 3_600_000, price: 100 },
        ],
      },
    ],
    startTimeMs: now,
    apiKey: KEY,
    apiSecret: SECRET,
  });
  sim.play(1, 50); // simulated time runs with the wall clock: no skew
  modelDir = await randomModelFolder({ window: 8, hidden: 4 });
});

afterAll(async () => {
  sim.pause();
  await sim.close();
  await rm(modelDir, { recursive: true, force: true });
});

function baseEnv(): Record<string, string> {
  return {
    WICK_REDIS_URL: REDIS_URL,
    WICK_MODEL_DIR: modelDir,
    WICK_TIMEFRAME: '1h',
    WICK_EXECUTION_PROVIDER: 'cpu',
    WICK_SYMBOLS: 'BTC/USDT',
    WICK_EXCHANGE_REST_URL: sim.restUrl,
    WICK_EXCHANGE_WS_URL: sim.wsUrl,
    WICK_EXCHANGE_TIMEOUT_MS: '2000',
  };
}

describe('wick doctor', () => {
  it('live mode against the simulator and the test Redis: every check passes or warns, exit 0, no secrets printed', async () => {
    const { code, out } = await runDoctor({
      ...baseEnv(),
      WICK_MODE: 'live',
      WICK_API_KEY: KEY,
      WICK_API_SECRET: SECRET,
      WICK_LIVE_CONFIRM: LIVE_CONFIRMATION,
    });
    expect(out).toMatch(/✓ redis\s+.*answers PING/);
    expect(out).toMatch(/✓ model\s+.*loads on the CPU/);
    expect(out).toMatch(/✓ model\s+timeframe 1h matches/);
    expect(out).toMatch(/✓ provider\s+cpu/);
    expect(out).toMatch(/✓ exchange\s+binance reachable/);
    expect(out).toMatch(/✓ clock\s+exchange/);
    expect(out).toMatch(/✓ market\s+BTC\/USDT: tick 0\.01, step 0\.00001, min qty 0\.00001, min notional 5 USDT/);
    expect(out).toMatch(/✓ keys\s+API key accepted/);
    // The simulator has no sapi apiRestrictions endpoint: a warning, not a failure.
    expect(out).toMatch(/! keys\s+could not check withdrawal permission/);
    expect(out).not.toContain('✗');
    expect(code).toBe(0);
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(SECRET);
  });

  it('unreachable Redis and a wrong secret → ✗ lines with a fix, exit 1', async () => {
    const { code, out } = await runDoctor({
      ...baseEnv(),
      WICK_REDIS_URL: 'redis://127.0.0.1:1',
      WICK_TIMEFRAME: '4h',
      WICK_MODE: 'live',
      WICK_API_KEY: KEY,
      WICK_API_SECRET: 'wrong-secret-999999',
      WICK_LIVE_CONFIRM: LIVE_CONFIRMATION,
    });
    expect(code).toBe(1);
    expect(out).toMatch(/✗ redis\s+127\.0\.0\.1:1 unreachable/);
    expect(out).toMatch(/→ start Redis/);
    expect(out).toMatch(/✗ model\s+model timeframe 1h but WICK_TIMEFRAME=4h/);
    expect(out).toMatch(/✗ keys\s+fetchBalance refused \(AUTHENTICATION_FAILED\)/);
    expect(out).toMatch(/failed/);
    expect(out).not.toContain('wrong-secret-999999');
    expect(out).not.toContain(KEY);
  });

  it('paper mode skips the key checks; an invalid configuration exits 2', async () => {
    const { code, out } = await runDoctor({ ...baseEnv(), WICK_SYMBOLS: 'BTC/USDT,DOGE/USDT' });
    expect(out).toMatch(/✓ keys\s+not checked/);
    expect(out).toMatch(/✗ market\s+DOGE\/USDT: not listed/);
    expect(code).toBe(1);
    const bad = await runDoctor({ ...baseEnv(), WICK_TIMEFRAME: 'banana' });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('WICK_TIMEFRAME');
  });

  it('formats warnings with their fix and a summary', () => {
    const text = formatDoctorReport([
      { name: 'clock', status: 'warn', detail: 'exchange ahead by 2000 ms', fix: 'sync NTP' },
      { name: 'redis', status: 'pass', detail: 'ok' },
    ]);
    expect(text).toContain('! clock');
    expect(text).toContain('→ sync NTP');
    expect(text).toContain('All checks passed, 1 warning(s).');
  });
});

describe('wick doctor clock check', () => {
  /** An exchange whose clock runs `offsetMs` ahead of ours and whose answer takes `roundTripMs`, read mid-way. */
  function timedExchange(offsetMs: number, roundTripMs: number): { ex: DoctorExchange; nowMs: () => number } {
    let now = 1_700_000_000_000;
    const ex: DoctorExchange = {
      loadMarkets: () => Promise.resolve({}),
      fetchBalance: () => Promise.resolve({}),
      fetchTime: () => {
        now += roundTripMs / 2;
        const server = now + offsetMs;
        now += roundTripMs / 2;
        return Promise.resolve(server);
      },
    };
    return { ex, nowMs: () => now };
  }

  it('a slow round trip alone never flags a synced clock; a proven skew warns, then fails', async () => {
    const slow = timedExchange(0, 3_000);
    expect((await checkClock(slow.ex, slow.nowMs, 10_000, [])).status).toBe('pass');
    // 1.4 s behind the midpoint with a 1 s round trip: a reading at the start explains all but 0.9 s.
    const loaded = timedExchange(-1_400, 1_000);
    expect((await checkClock(loaded.ex, loaded.nowMs, 10_000, [])).status).toBe('pass');
    const ahead = timedExchange(3_000, 20);
    expect((await checkClock(ahead.ex, ahead.nowMs, 10_000, [])).status).toBe('warn');
    const behind = timedExchange(-9_000, 20);
    expect((await checkClock(behind.ex, behind.nowMs, 10_000, [])).status).toBe('fail');
    // 1.5 s behind with a 1 s round trip: at least 1 s of skew is proven whatever the reading time.
    const provenBehind = timedExchange(-1_600, 1_000);
    expect((await checkClock(provenBehind.ex, provenBehind.nowMs, 10_000, [])).status).toBe('warn');
  });
});
