import { TERMINAL_ORDER_STATUSES, seriesId, type Candle, type Clock, type SeriesKey } from '../../core/index.js';
import type { PaperSession } from '../../backtest/session.js';
import type { OperatorPort } from '../../obs/operator-api.js';
import type { RecentErrors } from '../../obs/operator-api-errors.js';
import type { PaperTrader } from './paper-trader.js';

const RECENT = 96;

/** What the dashboard shows per series: the last candles, predictions and decisions (bounded rings). */
export class SeriesActivity {
  private readonly candles = new Map<string, Candle[]>();
  private readonly predictions = new Map<string, { candleOpenTimeMs: number; value: number }[]>();
  private readonly signals = new Map<string, { candleOpenTimeMs: number; targetFraction: number; reason?: string }[]>();

  private push<T>(map: Map<string, T[]>, id: string, item: T): void {
    const list = map.get(id) ?? [];
    list.push(item);
    if (list.length > RECENT) list.splice(0, list.length - RECENT);
    map.set(id, list);
  }

  candle(series: SeriesKey, candle: Candle): void {
    this.push(this.candles, seriesId(series), candle);
  }
  prediction(series: SeriesKey, candleOpenTimeMs: number, value: number): void {
    this.push(this.predictions, seriesId(series), { candleOpenTimeMs, value });
  }
  signal(series: SeriesKey, candleOpenTimeMs: number, targetFraction: number, reason: string): void {
    this.push(this.signals, seriesId(series), { candleOpenTimeMs, targetFraction, reason });
  }
  of(series: SeriesKey) {
    const id = seriesId(series);
    return { candles: this.candles.get(id) ?? [], predictions: this.predictions.get(id) ?? [], signals: this.signals.get(id) ?? [] };
  }
}

export interface PaperOperatorDeps {
  readonly mode: string;
  readonly session: PaperSession;
  readonly trader: PaperTrader;
  readonly series: readonly SeriesKey[];
  readonly activity: SeriesActivity;
  readonly errors: RecentErrors;
  readonly clock: Clock;
  readonly startedAtMs: number;
  readonly initialEquityQuote: number;
  readonly model: { readonly id: string; readonly executionProvider: string; readonly kind: 'ratio' | 'probability'; readonly drifting?: readonly string[] } | null;
  readonly health: () => Promise<{ status: 'ok' | 'degraded' | 'unhealthy'; reasons: string[] }>;
}

/**
 * The operator API's view of a paper-trading daemon: reads from the PaperSession, and control
 * actions that run in turn with the trader's steps (one writer on the account at a time).
 */
export function paperOperatorPort(deps: PaperOperatorDeps): OperatorPort {
  const { session, trader } = deps;
  const om = session.orderManager;
  const quote = deps.series[0]?.symbol.split('/')[1] ?? 'USDT';
  return {
    status: async () => ({
      mode: deps.mode,
      nowMs: deps.clock.nowMs(),
      startedAtMs: deps.startedAtMs,
      riskState: session.risk.state,
      haltReason: session.risk.toJSON().haltReason,
      entriesPaused: session.risk.paused,
      equityQuote: om.equityQuote(),
      cashQuote: om.cashQuote,
      initialEquityQuote: deps.initialEquityQuote,
      quoteCurrency: quote,
      model: deps.model === null ? null : { id: deps.model.id, executionProvider: deps.model.executionProvider, ...(deps.model.drifting !== undefined ? { driftingSeries: [...deps.model.drifting] } : {}) },
      health: await deps.health(),
      series: deps.series.map((s) => {
        const a = deps.activity.of(s);
        return {
          id: seriesId(s),
          symbol: s.symbol,
          timeframe: s.timeframe,
          lastCandle: a.candles.at(-1) ?? null,
          recentCandles: a.candles,
          ...(deps.model !== null ? { predictionKind: deps.model.kind } : {}),
          predictions: a.predictions,
          signals: a.signals,
        };
      }),
    }),
    positions: async () =>
      deps.series.flatMap((s) => {
        const p = om.position(s.symbol);
        if (p === undefined || p.qtyBase === 0) return [];
        const guard = om.guard(s.symbol);
        return [
          {
            symbol: p.symbol,
            side: p.qtyBase > 0 ? ('long' as const) : ('short' as const),
            qtyBase: p.qtyBase,
            avgEntryPriceQuote: p.avgEntryPriceQuote,
            markPriceQuote: deps.activity.of(s).candles.at(-1)?.close ?? p.avgEntryPriceQuote,
            unrealisedPnlQuote: om.unrealisedPnlQuote(s.symbol),
            realisedPnlQuote: p.realisedPnlQuote,
            feesQuote: p.feesQuote,
            openedAtMs: p.openedAtMs,
            stopPriceQuote: p.stopPriceQuote ?? null,
            takeProfitPriceQuote: p.takeProfitPriceQuote ?? null,
            ...(guard !== null ? { stopNative: guard.native } : {}),
          },
        ];
      }),
    orders: async () => om.orders().filter((o) => !TERMINAL_ORDER_STATUSES.has(o.status)),
    trades: async () => session.closedTrades(),
    equity: async () => session.equityCurve(),
    errors: async () => deps.errors.list(),
    pauseEntries: () => trader.exclusive(() => session.risk.pauseEntries()),
    resumeEntries: () => trader.exclusive(() => session.risk.resumeEntries()),
    resetKillSwitch: () => trader.exclusive(() => session.risk.reset()),
    closePosition: (symbol) =>
      trader.exclusive(async () => {
        const outcome = await om.flatten(symbol, session.lastTimeMs ?? deps.clock.nowMs());
        if (outcome.status === 'sent') return { status: 'sent' as const, message: `exit order ${outcome.order.clientOrderId} placed; it fills at the next candle's open`, clientOrderId: outcome.order.clientOrderId };
        return { status: outcome.reason.code === 'NO_CHANGE' ? ('not_found' as const) : outcome.status, message: outcome.reason.message };
      }),
  };
}
