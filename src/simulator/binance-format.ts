import { AVG_PRICE_MINS, type EngineMarket, type SimOrder, type SimTrade } from './exchange-engine.js';
import type { PricePath, SimKline } from './price-path.js';

/** Binance kline intervals the simulator serves (all aligned to the epoch, like Binance's up to 1d). */
export const INTERVAL_MS: Readonly<Record<string, number>> = Object.freeze({
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '8h': 28_800_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
});

/** Binance prints every decimal with 8 places. */
export function fmt(x: number): string {
  return (Math.round(x * 1e8) / 1e8).toFixed(8);
}

/** A price rounded to the market's tick, as Binance would print it. */
export function fmtPrice(x: number, tickSize: number): string {
  return fmt(tickSize > 0 ? Math.round(x / tickSize) * tickSize : x);
}

export function alignDown(timeMs: number, intervalMs: number): number {
  return Math.floor(timeMs / intervalMs) * intervalMs;
}

export interface KlineQuery {
  readonly intervalMs: number;
  readonly nowMs: number;
  readonly limit: number;
  readonly startTime?: number;
  readonly endTime?: number;
}

/** Klines as `GET /api/v3/klines` selects them, the still-forming one included (as Binance does). */
export function selectKlines(path: PricePath, q: KlineQuery): SimKline[] {
  const first = alignDown(path.startMs, q.intervalMs);
  let last = alignDown(Math.min(q.nowMs, path.endMs), q.intervalMs);
  if (q.nowMs < path.startMs) return [];
  if (q.endTime !== undefined) last = Math.min(last, alignDown(q.endTime, q.intervalMs));
  const opens: number[] = [];
  if (q.startTime !== undefined) {
    const from = Math.max(first, Math.ceil(q.startTime / q.intervalMs) * q.intervalMs);
    for (let t = from; t <= last && opens.length < q.limit; t += q.intervalMs) opens.push(t);
  } else {
    const from = Math.max(first, last - (q.limit - 1) * q.intervalMs);
    for (let t = from; t <= last; t += q.intervalMs) opens.push(t);
  }
  const out: SimKline[] = [];
  for (const t of opens) {
    const k = path.kline(t, q.intervalMs, q.nowMs);
    if (k !== undefined) out.push(k);
  }
  return out;
}

/** A kline row as Binance's REST API returns it. */
export function klineRow(k: SimKline, tickSize: number): (string | number)[] {
  const quoteVolume = (k.volume * (k.open + k.close)) / 2;
  return [
    k.openTimeMs,
    fmtPrice(k.open, tickSize),
    fmtPrice(k.high, tickSize),
    fmtPrice(k.low, tickSize),
    fmtPrice(k.close, tickSize),
    fmt(k.volume),
    k.closeTimeMs,
    fmt(quoteVolume),
    tradeCount(k),
    fmt(k.volume / 2),
    fmt(quoteVolume / 2),
    '0',
  ];
}

/** A kline event as Binance's market stream pushes it. */
export function klineEvent(symbolId: string, interval: string, k: SimKline, eventTimeMs: number, tickSize: number): Record<string, unknown> {
  const quoteVolume = (k.volume * (k.open + k.close)) / 2;
  return {
    e: 'kline',
    E: eventTimeMs,
    s: symbolId,
    k: {
      t: k.openTimeMs,
      T: k.closeTimeMs,
      s: symbolId,
      i: interval,
      f: 100,
      L: 100 + tradeCount(k),
      o: fmtPrice(k.open, tickSize),
      c: fmtPrice(k.close, tickSize),
      h: fmtPrice(k.high, tickSize),
      l: fmtPrice(k.low, tickSize),
      v: fmt(k.volume),
      n: tradeCount(k),
      x: k.final,
      q: fmt(quoteVolume),
      V: fmt(k.volume / 2),
      Q: fmt(quoteVolume / 2),
      B: '0',
    },
  };
}

function tradeCount(k: SimKline): number {
  return Math.round(k.volume * 10);
}

export function symbolInfo(m: EngineMarket): Record<string, unknown> {
  return {
    symbol: m.id,
    status: 'TRADING',
    baseAsset: m.base,
    baseAssetPrecision: 8,
    quoteAsset: m.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: [...m.orderTypes],
    icebergAllowed: true,
    ocoAllowed: true,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: false,
    cancelReplaceAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: fmt(m.tickSize), maxPrice: '1000000.00000000', tickSize: fmt(m.tickSize) },
      { filterType: 'LOT_SIZE', minQty: fmt(m.minQty), maxQty: fmt(m.maxQty), stepSize: fmt(m.stepSize) },
      { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: fmt(m.marketMaxQty), stepSize: '0.00000000' },
      {
        filterType: 'PERCENT_PRICE_BY_SIDE',
        bidMultiplierUp: String(m.percentPriceBySide.bidUp),
        bidMultiplierDown: String(m.percentPriceBySide.bidDown),
        askMultiplierUp: String(m.percentPriceBySide.askUp),
        askMultiplierDown: String(m.percentPriceBySide.askDown),
        avgPriceMins: AVG_PRICE_MINS,
      },
      {
        filterType: 'NOTIONAL',
        minNotional: fmt(m.minNotional),
        applyMinToMarket: true,
        maxNotional: '9000000.00000000',
        applyMaxToMarket: false,
        avgPriceMins: AVG_PRICE_MINS,
      },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: m.maxNumOrders },
      { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: m.maxNumAlgoOrders },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  };
}

/** A stop not yet triggered is not working (isWorking false) but its workingTime is a real time, never -1. */
function workingTime(o: SimOrder): number {
  return o.workingTimeMs >= 0 ? o.workingTimeMs : o.timeMs;
}

function isTrigger(o: SimOrder): boolean {
  return o.type === 'STOP_LOSS' || o.type === 'STOP_LOSS_LIMIT' || o.type === 'TAKE_PROFIT' || o.type === 'TAKE_PROFIT_LIMIT';
}

function core(o: SimOrder, tickSize: number): Record<string, unknown> {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    price: fmtPrice(o.price, tickSize),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    origQuoteOrderQty: fmt(o.origQuoteOrderQty),
    cummulativeQuoteQty: fmt(o.cummulativeQuoteQty),
    status: o.status,
    timeInForce: o.timeInForce ?? 'GTC',
    type: o.type,
    side: o.side,
  };
}

/** `POST /api/v3/order` answer for newOrderRespType ACK, RESULT or FULL. */
export function newOrderJson(o: SimOrder, fills: readonly SimTrade[], respType: 'ACK' | 'RESULT' | 'FULL', tickSize: number): Record<string, unknown> {
  const ack = { symbol: o.symbol, orderId: o.orderId, orderListId: -1, clientOrderId: o.clientOrderId, transactTime: o.timeMs };
  if (respType === 'ACK') return ack;
  const result: Record<string, unknown> = {
    ...core(o, tickSize),
    transactTime: o.timeMs,
    ...(isTrigger(o) ? { stopPrice: fmtPrice(o.stopPrice, tickSize) } : {}),
    workingTime: workingTime(o),
    selfTradePreventionMode: 'EXPIRE_MAKER',
  };
  if (respType === 'RESULT') return result;
  return {
    ...result,
    fills: fills.map((f) => ({
      price: fmtPrice(f.price, tickSize),
      qty: fmt(f.qty),
      commission: fmt(f.commission),
      commissionAsset: f.commissionAsset,
      tradeId: f.id,
    })),
  };
}

/** `GET /api/v3/order`, `openOrders`, `allOrders` row. */
export function queryOrderJson(o: SimOrder, tickSize: number): Record<string, unknown> {
  return {
    ...core(o, tickSize),
    stopPrice: fmtPrice(o.stopPrice, tickSize),
    icebergQty: '0.00000000',
    time: o.timeMs,
    updateTime: o.updateTimeMs,
    isWorking: o.workingTimeMs >= 0,
    workingTime: workingTime(o),
    selfTradePreventionMode: 'EXPIRE_MAKER',
  };
}

/**
 * `DELETE /api/v3/order` answer. As on Binance, `clientOrderId` is the CANCEL request's id and the
 * order's own id is in `origClientOrderId` (ccxt's parsed `clientOrderId` is therefore the cancel id).
 */
export function cancelOrderJson(o: SimOrder, cancelClientOrderId: string, nowMs: number, tickSize: number): Record<string, unknown> {
  return {
    ...core(o, tickSize),
    origClientOrderId: o.clientOrderId,
    clientOrderId: cancelClientOrderId,
    transactTime: nowMs,
    ...(isTrigger(o) ? { stopPrice: fmtPrice(o.stopPrice, tickSize) } : {}),
    selfTradePreventionMode: 'EXPIRE_MAKER',
  };
}

export function tradeJson(t: SimTrade, tickSize: number): Record<string, unknown> {
  return {
    symbol: t.symbol,
    id: t.id,
    orderId: t.orderId,
    orderListId: -1,
    price: fmtPrice(t.price, tickSize),
    qty: fmt(t.qty),
    quoteQty: fmt(t.quoteQty),
    commission: fmt(t.commission),
    commissionAsset: t.commissionAsset,
    time: t.timeMs,
    isBuyer: t.side === 'BUY',
    isMaker: t.isMaker,
    isBestMatch: true,
  };
}
