import { seriesId, type Candle, type Clock, type SeriesKey } from '../../core/index.js';
import type { OperatorPort } from '../../obs/operator-api.js';
import type { RecentErrors } from '../../obs/operator-api-errors.js';
import type { AccountTrader } from './account-trader.js';

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

export interface AccountOperatorDeps {
  readonly mode: string;
  readonly trader: AccountTrader;
  readonly series: readonly SeriesKey[];
  readonly activity: SeriesActivity;
  readonly errors: RecentErrors;
  readonly clock: Clock;
  readonly startedAtMs: number;
  readonly initialEquityQuote: number;
  readonly model: {
    readonly id: string;
    readonly executionProvider: string;
    readonly kind: 'ratio' | 'probability';
    readonly drifting?: readonly string[];
  } | null;
  readonly health: () => Promise<{ status: 'ok' | 'degraded' | 'unhealthy'; reasons: string[] }>;
}

/**
 * The operator API's view of any trading daemon (replay, paper, live): reads the kernel's
 * mode-independent account view and ledger; controls go through the kernel (risk engine, protective
 * stop check), run in turn with the trader's steps (one writer on the account) and are saved with it.
 * `by` (address and token fingerprint) is kept in the audit trail of kill-switch resets.
 */
export function accountOperatorPort(deps: AccountOperatorDeps): OperatorPort {
  const { trader } = deps;
  const quote = deps.series[0]?.symbol.split('/')[1] ?? 'USDT';
  return {
    status: async () => {
      const view = trader.kernel.view();
      return {
        mode: deps.mode,
        nowMs: deps.clock.nowMs(),
        startedAtMs: deps.startedAtMs,
        riskState: view.riskState,
        haltReason: view.haltReason,
        entriesPaused: view.entriesPaused,
        equityQuote: view.equityQuote,
        cashQuote: view.cashQuote,
        initialEquityQuote: deps.initialEquityQuote,
        quoteCurrency: quote,
        model:
          deps.model === null
            ? null
            : {
                id: deps.model.id,
                executionProvider: deps.model.executionProvider,
                ...(deps.model.drifting !== undefined ? { driftingSeries: [...deps.model.drifting] } : {}),
              },
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
        account: view.account,
        traderStatus: trader.status,
        traderStatusReason: trader.statusReason,
        tradesTotal: trader.ledger.totalTrades,
        killSwitchResets: [...view.killSwitchResets],
      };
    },
    positions: async () =>
      trader.kernel.view().positions.map((p) => ({
        symbol: p.symbol,
        side: p.qtyBase > 0 ? ('long' as const) : ('short' as const),
        qtyBase: p.qtyBase,
        avgEntryPriceQuote: p.avgEntryPriceQuote,
        markPriceQuote: p.markPriceQuote,
        unrealisedPnlQuote: p.unrealisedPnlQuote,
        realisedPnlQuote: p.realisedPnlQuote,
        feesQuote: p.feesQuote,
        openedAtMs: p.openedAtMs,
        stopPriceQuote: p.stopPriceQuote ?? null,
        takeProfitPriceQuote: p.takeProfitPriceQuote ?? null,
        ...(p.guard !== null ? { stopNative: p.guard.native } : {}),
      })),
    orders: async () => trader.kernel.view().openOrders,
    trades: async () => trader.ledger.closedTrades(),
    equity: async () => trader.ledger.equityCurve(),
    errors: async () => deps.errors.list(),
    pauseEntries: (by) => trader.control((k) => void k.pauseEntries(by)),
    resumeEntries: (by) => trader.control((k) => void k.resumeEntries(by)),
    resetKillSwitch: (by) => trader.control((k) => void k.resetKillSwitch(by)),
    closePosition: (symbol) =>
      trader.control(async (k, candleOpenTimeMs) => {
        const { outcome } = await k.closePosition(symbol, candleOpenTimeMs);
        if (outcome.status === 'sent') {
          const done = outcome.order.status === 'filled';
          return {
            status: 'sent' as const,
            message: done
              ? `exit order ${outcome.order.clientOrderId} filled`
              : `exit order ${outcome.order.clientOrderId} placed (${outcome.order.status}); a simulated venue fills it at the next candle's open`,
            clientOrderId: outcome.order.clientOrderId,
          };
        }
        const stop = k.om.guard(symbol);
        const protectedNote = stop !== null ? `; the position keeps its stop at ${stop.stopPriceQuote}` : '';
        return { status: outcome.reason.code === 'NO_CHANGE' ? ('not_found' as const) : outcome.status, message: `${outcome.reason.message}${protectedNote}` };
      }),
  };
}
