import {
  ManualClock,
  barsPerYear,
  seriesId,
  silentLogger,
  timeframeMs,
  type Candle,
  type Fill,
  type Logger,
  type MarketRules,
  type OrderIntent,
  type SeriesKey,
  type Timeframe,
} from '../core/index.js';
import { createIndicator, type StreamingIndicator } from '../features/index.js';
import {
  OrderManager,
  PaperBroker,
  RiskEngine,
  stepCandle,
  type BrokerUpdate,
  type CandleDrivenBroker,
  type FillModelConfig,
  type IntentOutcome,
  type OrderManagerConfig,
  type RiskConfig,
} from '../execution/index.js';
import { buyAndHoldEqualWeight } from './metrics-buy-and-hold.js';
import { computeMetrics } from './metrics.js';
import type { EquityPoint, Metrics, Trade } from './result.js';
import { TradeJournal } from './trade-journal.js';

export interface PaperSessionConfig {
  readonly timeframe: Timeframe;
  readonly orderManager: OrderManagerConfig;
  readonly risk: RiskConfig;
  readonly rules: Readonly<Record<string, MarketRules>>;
  readonly fillModel: FillModelConfig;
  readonly logger?: Logger;
}

export interface SessionResult {
  readonly timeframe: Timeframe;
  readonly equity: readonly EquityPoint[];
  readonly exposed: readonly boolean[];
  /** Round trips closed before the data ended. */
  readonly trades: readonly Trade[];
  /** Positions still open when the data ended, marked at the last close (exitReason 'open'); not counted as trades. */
  readonly openTrades: readonly Trade[];
  readonly fills: readonly Fill[];
  readonly intents: number;
  readonly deniedByRisk: Readonly<Record<string, number>>;
  readonly feesPaidQuote: number;
  readonly candlesProcessed: number;
  readonly metrics: { readonly strategy: Metrics; readonly buyAndHold: Metrics };
  readonly buyAndHoldEquity: readonly EquityPoint[];
}

const ATR_PERIOD = 14;

/** Passes every call to the PaperBroker and keeps the fills for the trade journal. */
class FillTap implements CandleDrivenBroker {
  readonly fills: Fill[] = [];
  constructor(private readonly inner: PaperBroker) {}
  get name(): string {
    return this.inner.name;
  }
  private tap(update: BrokerUpdate): BrokerUpdate {
    for (const f of update.fills) this.fills.push(f);
    return update;
  }
  onCandleOpen(series: SeriesKey, candle: Candle): BrokerUpdate {
    return this.tap(this.inner.onCandleOpen(series, candle));
  }
  onCandleRange(series: SeriesKey, candle: Candle): BrokerUpdate {
    return this.tap(this.inner.onCandleRange(series, candle));
  }
  supportsNativeStops(): boolean {
    return this.inner.supportsNativeStops();
  }
  marketRules(symbol: string): MarketRules {
    return this.inner.marketRules(symbol);
  }
  placeOrder(...args: Parameters<PaperBroker['placeOrder']>): ReturnType<PaperBroker['placeOrder']> {
    return this.inner.placeOrder(...args);
  }
  cancelOrder(...args: Parameters<PaperBroker['cancelOrder']>): ReturnType<PaperBroker['cancelOrder']> {
    return this.inner.cancelOrder(...args);
  }
  fetchOrder(...args: Parameters<PaperBroker['fetchOrder']>): ReturnType<PaperBroker['fetchOrder']> {
    return this.inner.fetchOrder(...args);
  }
  fetchOpenOrders(...args: Parameters<PaperBroker['fetchOpenOrders']>): ReturnType<PaperBroker['fetchOpenOrders']> {
    return this.inner.fetchOpenOrders(...args);
  }
  fetchFills(...args: Parameters<PaperBroker['fetchFills']>): ReturnType<PaperBroker['fetchFills']> {
    return this.inner.fetchFills(...args);
  }
  fetchBalance(): ReturnType<PaperBroker['fetchBalance']> {
    return this.inner.fetchBalance();
  }
}

/**
 * One simulated trading account driven by closed candles: the PaperBroker's fills, the risk
 * engine, the order manager, a trade journal and the equity curve. The backtest and the daemon's
 * paper trader both run exactly this, so `wick replay` and `wick backtest` trade alike.
 *
 * Per closed candle call `onCandle` (fills queued orders at its open, checks stops on its range,
 * marks to its close); a decision taken on that candle goes to `onIntent` and fills on the NEXT
 * candle. Candles must arrive in open-time order across all series (ties: any fixed order); one
 * equity point is recorded per open time, once every candle of that time has been stepped.
 */
export class PaperSession {
  readonly clock = new ManualClock();
  readonly orderManager: OrderManager;
  readonly risk: RiskEngine;
  private readonly broker: FillTap;
  private readonly journal = new TradeJournal();
  private readonly tfMs: number;
  private readonly atrs = new Map<string, StreamingIndicator>();
  private readonly marks = new Map<string, { priceQuote: number; timeMs: number }>();
  private readonly stepped = new Map<string, Candle[]>();
  private readonly symbols: string[] = [];
  private readonly equity: EquityPoint[] = [];
  private readonly exposed: boolean[] = [];
  private readonly denied: Record<string, number> = {};
  private pendingTime: number | null = null;
  private journaled = 0;
  private feesPaid = 0;
  private intents = 0;
  private candles = 0;

  constructor(private readonly config: PaperSessionConfig) {
    this.tfMs = timeframeMs(config.timeframe);
    const paper = new PaperBroker({ rules: config.rules, initialQuote: config.orderManager.initialCashQuote, fillModel: config.fillModel }, this.clock);
    this.broker = new FillTap(paper);
    this.risk = new RiskEngine(config.risk, this.clock);
    this.orderManager = new OrderManager(config.orderManager, { broker: this.broker, risk: this.risk, clock: this.clock, logger: config.logger ?? silentLogger });
  }

  /** Open time of the last candle stepped (any series), or null. */
  get lastTimeMs(): number | null {
    return this.pendingTime;
  }

  /** Steps one closed candle (candles before it of every series must already have been stepped). */
  async onCandle(series: SeriesKey, candle: Candle): Promise<void> {
    if (this.pendingTime !== null && candle.openTimeMs < this.pendingTime) {
      throw new RangeError(`PaperSession: candle ${seriesId(series)} at ${candle.openTimeMs} arrived after ${this.pendingTime}; candles must be stepped in time order`);
    }
    if (this.pendingTime !== null && candle.openTimeMs > this.pendingTime) this.recordPoint(this.pendingTime);
    this.pendingTime = candle.openTimeMs;
    const id = seriesId(series);
    let atr = this.atrs.get(id);
    if (atr === undefined) {
      atr = createIndicator({ id: 'atr', kind: 'atr', params: { period: ATR_PERIOD } });
      this.atrs.set(id, atr);
      this.stepped.set(id, []);
      this.symbols.push(series.symbol);
    }
    atr.update(candle);
    this.clock.set(candle.openTimeMs + this.tfMs);
    await stepCandle(this.broker, this.orderManager, series, candle);
    this.candles++;
    this.stepped.get(id)?.push(candle);
    this.marks.set(series.symbol, { priceQuote: candle.close, timeMs: candle.openTimeMs + this.tfMs });
    for (; this.journaled < this.broker.fills.length; this.journaled++) {
      const fill = this.broker.fills[this.journaled] as Fill;
      this.feesPaid += fill.feeQuote;
      this.journal.record(fill, this.orderManager.order(fill.clientOrderId)?.purpose ?? 'exit');
    }
  }

  /** Hands a decision taken at a candle's close to the order manager (sized with that series' ATR). */
  async onIntent(intent: OrderIntent): Promise<IntentOutcome> {
    this.intents++;
    const atr = this.atrs.get(seriesId(intent.series))?.value();
    const outcome = await this.orderManager.onIntent(intent, atr !== undefined && Number.isFinite(atr) ? atr : undefined);
    if (outcome.status === 'denied') this.denied[outcome.reason.code] = (this.denied[outcome.reason.code] ?? 0) + 1;
    return outcome;
  }

  private recordPoint(timeMs: number): void {
    this.equity.push([timeMs, this.orderManager.equityQuote()]);
    this.exposed.push(this.orderManager.openPositionCount() > 0);
  }

  /** Round trips closed so far (open positions are not trades yet). */
  closedTrades(): readonly Trade[] {
    return this.journal.trades;
  }

  /** Fills so far, oldest first. */
  fillsSoFar(): readonly Fill[] {
    return this.broker.fills;
  }

  /** Equity curve so far (the last open time included). */
  equityCurve(): readonly EquityPoint[] {
    return this.pendingTime === null ? this.equity : [...this.equity, [this.pendingTime, this.orderManager.equityQuote()]];
  }

  /** Closes the books: open trades are marked at the last close; metrics against buy-and-hold. */
  finish(): SessionResult {
    if (this.pendingTime !== null) {
      this.recordPoint(this.pendingTime);
      this.pendingTime = null;
    }
    const closedBefore = this.journal.trades.length;
    this.journal.closeAll(this.marks);
    const bpy = barsPerYear(this.config.timeframe);
    const initial = this.config.orderManager.initialCashQuote;
    // A position the data ended on is open, not a closed (winning or losing) trade: its mark is in the equity curve only.
    const trades = this.journal.trades.slice(0, closedBefore);
    const openTrades = this.journal.trades.slice(closedBefore).map((t) => ({ ...t, exitReason: 'open' }));
    const strategy =
      this.equity.length > 0
        ? computeMetrics({ equity: this.equity, trades, exposed: this.exposed, barsPerYear: bpy, feesPaidQuote: this.feesPaid })
        : computeMetrics({ equity: [], trades: [], exposed: [], barsPerYear: bpy });
    // Benchmark: an equal-weight basket of the same markets over the same bars, paying the same entry costs.
    const markets = [...this.stepped.entries()].map(([id, candles]) => ({ symbol: this.symbols[[...this.stepped.keys()].indexOf(id)] as string, candles }));
    const bh = buyAndHoldEqualWeight(markets, { initialEquityQuote: initial, feeBps: this.config.fillModel.takerFeeBps, slippageBps: this.config.fillModel.slippageBps });
    return {
      timeframe: this.config.timeframe,
      equity: this.equity,
      exposed: this.exposed,
      trades,
      openTrades,
      fills: this.broker.fills,
      intents: this.intents,
      deniedByRisk: this.denied,
      feesPaidQuote: this.feesPaid,
      candlesProcessed: this.candles,
      metrics: { strategy, buyAndHold: computeMetrics({ equity: bh.equity, trades: bh.trades, exposed: bh.exposed, barsPerYear: bpy }) },
      buyAndHoldEquity: bh.equity,
    };
  }
}
