import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, type Logger } from '../core/index.js';
import { formatDuration, Notifier, notifyEvents, telegramSink, webhookSink, type NotifySink } from './notify.js';

const BOT_TOKEN = '123456789:AAH-secret-bot-token-value';

interface Received {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** A local HTTP receiver: records every POST, answers with `status` (and a body echoing the path). */
async function receiver(status = 200): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? '{"ok":true}' : JSON.stringify({ ok: false, description: `Unauthorized for ${req.url ?? ''}` }));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function logLines(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const make = (b: Record<string, unknown>): Logger => {
    const at = (level: string) => (a: object | string, m?: string) =>
      void lines.push(JSON.stringify({ level, ...b, ...(typeof a === 'string' ? { msg: a } : { ...a, msg: m }) }));
    return {
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      fatal: at('fatal'),
      child: (more) => make({ ...b, ...more }),
    };
  };
  return { logger: make({}), lines };
}

const fill = {
  tradeId: 't1',
  clientOrderId: 'wick-BTC-1',
  symbol: 'BTC/USDT',
  side: 'buy' as const,
  qtyBase: 0.05,
  priceQuote: 42_000,
  feeQuote: 2.1,
  timeMs: 0,
};

describe('Notifier', () => {
  it('posts a JSON webhook and a Telegram sendMessage (bot token in the path, chat_id in the body)', async () => {
    const hook = await receiver();
    const tg = await receiver();
    const n = new Notifier({
      sinks: [webhookSink({ url: `${hook.url}/hook` }), telegramSink({ botToken: BOT_TOKEN, chatId: '-1001', baseUrl: tg.url })],
      clock: new ManualClock(1_000),
      autoFlush: false,
    });
    n.notify(notifyEvents.fill(fill, 'entry'));
    await n.flush();
    expect(hook.got).toEqual([
      {
        path: '/hook',
        body: expect.objectContaining({
          app: 'wick',
          kind: 'fill',
          severity: 'info',
          title: 'Bought 0.05 BTC/USDT at 42000',
          count: 1,
          fields: expect.objectContaining({ purpose: 'entry' }),
        }),
      },
    ]);
    expect(tg.got).toHaveLength(1);
    expect(tg.got[0]?.path).toBe(`/bot${BOT_TOKEN}/sendMessage`);
    expect(tg.got[0]?.body).toMatchObject({ chat_id: '-1001', text: expect.stringContaining('Bought 0.05 BTC/USDT at 42000') });
    expect(n.stats).toMatchObject({ sent: 2, failed: 0 });
  });

  it('turns an error storm into one message with a count, then one summary per window', async () => {
    const hook = await receiver();
    const clock = new ManualClock(0);
    const n = new Notifier({ sinks: [webhookSink({ url: hook.url })], clock, throttleMs: 300_000, autoFlush: false });
    const boom = Object.assign(new Error('exchange timed out'), { code: 'EXCHANGE_TIMEOUT' });
    for (let i = 0; i < 37; i++) n.notify(notifyEvents.error(boom, 'broker'));
    await n.flush();
    expect(hook.got.map((g) => g.body['title'])).toEqual(['Error EXCHANGE_TIMEOUT in broker (×37 in the last 5 min)']);
    expect(hook.got[0]?.body['count']).toBe(37);

    // inside the window: counted, not sent
    clock.advance(60_000);
    for (let i = 0; i < 5; i++) n.notify(notifyEvents.error(boom, 'broker'));
    await n.flush();
    expect(hook.got).toHaveLength(1);
    expect(n.stats.suppressed).toBe(5);
    // the window ends: one summary
    clock.advance(240_000);
    await n.flush();
    expect(hook.got.map((g) => g.body['title'])).toEqual([
      'Error EXCHANGE_TIMEOUT in broker (×37 in the last 5 min)',
      'Error EXCHANGE_TIMEOUT in broker (×5 in the last 5 min)',
    ]);
    // a quiet window after the summary sends nothing; the next event after it is sent at once
    clock.advance(300_000);
    await n.flush();
    expect(hook.got).toHaveLength(2);
    n.notify(notifyEvents.error(boom, 'broker'));
    await n.flush();
    expect(hook.got.at(-1)?.body['title']).toBe('Error EXCHANGE_TIMEOUT in broker');
  });

  it('keeps different keys apart (every fill is its own message) and deduplicates the same key', async () => {
    const hook = await receiver();
    const n = new Notifier({ sinks: [webhookSink({ url: hook.url })], clock: new ManualClock(0), autoFlush: false });
    n.notify(notifyEvents.fill(fill));
    n.notify(notifyEvents.fill({ ...fill, tradeId: 't2', side: 'sell' }));
    await n.flush();
    n.notify(notifyEvents.killSwitch('drawdown 21% from peak'));
    await n.flush();
    n.notify(notifyEvents.killSwitch('drawdown 22% from peak'));
    await n.flush();
    expect(hook.got.map((g) => g.body['kind'])).toEqual(['fill', 'fill', 'kill_switch']);
    expect(hook.got[2]?.body).toMatchObject({ severity: 'critical', text: expect.stringContaining('reset-kill-switch') });
    await n.close(); // shutdown sends the pending summary of the suppressed repeat
    expect(hook.got.map((g) => g.body['title'])).toEqual([
      expect.any(String),
      expect.any(String),
      'Kill switch: trading halted',
      'Kill switch: trading halted (×1 in the last 5 min)',
    ]);
  });

  it('never throws into trading: a failing sink is logged without the bot token, the others still deliver', async () => {
    const hook = await receiver();
    const tg = await receiver(401); // answers with a description that echoes the path (the token)
    const { logger, lines } = logLines();
    const throwing: NotifySink = { name: 'broken', send: () => Promise.reject(new Error(`cannot reach https://api.telegram.org/bot${BOT_TOKEN}/x`)) };
    const n = new Notifier({
      sinks: [telegramSink({ botToken: BOT_TOKEN, chatId: '1', baseUrl: tg.url }), throwing, webhookSink({ url: hook.url })],
      clock: new ManualClock(0),
      logger,
      autoFlush: false,
    });
    expect(() => n.notify(notifyEvents.reconciliationFailed('exchange reports 0.3 BTC, books say 0.2', 'BTC/USDT'))).not.toThrow();
    await expect(n.flush()).resolves.toBeUndefined();
    expect(hook.got).toHaveLength(1);
    expect(tg.got).toHaveLength(1);
    expect(n.stats).toMatchObject({ sent: 1, failed: 2 });
    const warned = lines.filter((l) => l.includes('notification not delivered'));
    expect(warned).toHaveLength(2);
    expect(warned.join('\n')).toContain('HTTP 401');
    expect(lines.join('\n')).not.toContain(BOT_TOKEN);
    expect(lines.join('\n')).not.toContain('AAH-secret');
  });

  it('reports an unreachable receiver without the URL, and scrubs known secrets from message text', async () => {
    const hook = await receiver();
    const dead = await receiver();
    await new Promise((r) => dead.server.close(r));
    const { logger, lines } = logLines();
    const n = new Notifier({
      sinks: [telegramSink({ botToken: BOT_TOKEN, chatId: '1', baseUrl: dead.url }), webhookSink({ url: hook.url })],
      clock: new ManualClock(0),
      logger,
      secrets: ['exchange-api-secret-xyz'],
      autoFlush: false,
    });
    n.notify(notifyEvents.error(new Error('signature for exchange-api-secret-xyz rejected')));
    await n.flush();
    expect(JSON.stringify(hook.got[0]?.body)).not.toContain('exchange-api-secret-xyz');
    expect(hook.got[0]?.body['text']).toBe('signature for [REDACTED] rejected');
    expect(lines.join('\n')).toMatch(/telegram: request failed \(ECONNREFUSED\)/);
    expect(lines.join('\n')).not.toContain(BOT_TOKEN);
  });

  it('bounds the queue: beyond maxQueue events are dropped, a critical one pushes out a non-critical one', async () => {
    const hook = await receiver();
    const n = new Notifier({ sinks: [webhookSink({ url: hook.url })], clock: new ManualClock(0), maxQueue: 3, autoFlush: false });
    for (let i = 0; i < 5; i++) n.notify(notifyEvents.fill({ ...fill, tradeId: `t${i}` }));
    n.notify(notifyEvents.killSwitch('daily loss'));
    await n.flush();
    expect(hook.got.map((g) => g.body['kind'])).toEqual(['fill', 'fill', 'kill_switch']);
    expect(n.stats.dropped).toBe(3);
  });

  it('sends in the background after notify() by default', async () => {
    const hook = await receiver();
    const n = new Notifier({ sinks: [webhookSink({ url: hook.url })] });
    n.notify(notifyEvents.staleData('binance.BTC-USDT.1h', 3 * 3_600_000));
    await new Promise((r) => setImmediate(r));
    await n.flush();
    expect(hook.got[0]?.body).toMatchObject({ kind: 'stale_data', text: 'no closed candle for 3 h' });
  });

  it('start(): a background timer sends the summary of a storm that went quiet; close() stops it', async () => {
    const titles: string[] = [];
    const sink: NotifySink = { name: 'memory', send: async (m) => void titles.push(m.title) };
    const clock = new ManualClock(0);
    const n = new Notifier({ sinks: [sink], clock, throttleMs: 60_000, autoFlush: false });
    n.notify(notifyEvents.staleData('s', 7_200_000));
    await n.flush();
    n.notify(notifyEvents.staleData('s', 7_200_000)); // suppressed
    n.notify(notifyEvents.staleData('s', 7_200_000));
    clock.advance(60_000);
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      n.start(1_000);
      expect(titles).toHaveLength(1);
      vi.advanceTimersByTime(1_000); // the tick flushes: the sink is called synchronously up to its first await
      expect(titles).toEqual(['Stale data: s', 'Stale data: s (×2 in the last 1 min)']);
      await n.close();
      n.notify(notifyEvents.staleData('t', 1));
      vi.advanceTimersByTime(10_000); // stopped: nothing more is sent in the background
      expect(titles).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('formats window lengths for people', () => {
    expect(formatDuration(300_000)).toBe('5 min');
    expect(formatDuration(30_000)).toBe('30 s');
    expect(formatDuration(7_200_000)).toBe('2 h');
  });
});
