import type { Fill, Position } from '../core/index.js';
import { floorToStep, roundToStep } from './rounding.js';
import type { GuardState } from './stops.js';

/** One symbol's position and the ids of the orders that protect or change it. */
export interface PositionRecord {
  readonly symbol: string;
  qtyBase: number;
  avgEntryPriceQuote: number;
  realisedPnlQuote: number;
  feesQuote: number;
  openedAtMs: number;
  markPriceQuote: number;
  guard: GuardState | null;
  /** ATR at the last intent, used when the stop is armed after the entry fills. */
  entryAtrQuote: number | undefined;
  stopOrderId: string | null;
  takeProfitOrderId: string | null;
  /** Entry/exit (or client-side stop exit) order in flight. */
  pendingOrderId: string | null;
  /** Makes protective order ids unique when a stop is replaced on one candle. */
  protectSeq: number;
}

/** JSON-safe snapshot of a position record (NaN and undefined become null). */
export interface PositionState {
  readonly symbol: string;
  readonly qtyBase: number;
  readonly avgEntryPriceQuote: number;
  readonly realisedPnlQuote: number;
  readonly feesQuote: number;
  readonly openedAtMs: number;
  readonly markPriceQuote: number;
  readonly entryAtrQuote: number | null;
  readonly stopOrderId: string | null;
  readonly takeProfitOrderId: string | null;
  readonly pendingOrderId: string | null;
  readonly protectSeq: number;
  readonly guard: {
    readonly positionSign: number;
    readonly stopPriceQuote: number;
    readonly takeProfitPriceQuote: number | null;
    readonly bestPriceQuote: number;
    readonly atrQuote: number | null;
    readonly native: boolean;
  } | null;
}

/**
 * Cash and positions: fills booked with average entry and realised PnL (gross; fees kept apart, in
 * quote), marks, equity and exposure. Knows nothing of orders or brokers.
 */
export class PositionBook {
  private cash: number;
  private readonly records = new Map<string, PositionRecord>();

  constructor(initialCashQuote: number) {
    this.cash = initialCashQuote;
  }

  get cashQuote(): number {
    return this.cash;
  }

  /** The record of a symbol, created flat on first use. */
  record(symbol: string): PositionRecord {
    let r = this.records.get(symbol);
    if (r === undefined) {
      r = {
        symbol,
        qtyBase: 0,
        avgEntryPriceQuote: 0,
        realisedPnlQuote: 0,
        feesQuote: 0,
        openedAtMs: 0,
        markPriceQuote: 0,
        guard: null,
        entryAtrQuote: undefined,
        stopOrderId: null,
        takeProfitOrderId: null,
        pendingOrderId: null,
        protectSeq: 0,
      };
      this.records.set(symbol, r);
    }
    return r;
  }

  existing(symbol: string): PositionRecord | undefined {
    return this.records.get(symbol);
  }

  all(): IterableIterator<PositionRecord> {
    return this.records.values();
  }

  /** Cash plus every position marked at its last price. */
  equityQuote(): number {
    let e = this.cash;
    for (const r of this.records.values()) if (r.qtyBase !== 0) e += r.qtyBase * r.markPriceQuote;
    return e;
  }

  exposureQuote(): number {
    let e = 0;
    for (const r of this.records.values()) if (r.qtyBase !== 0) e += Math.abs(r.qtyBase) * r.markPriceQuote;
    return e;
  }

  openPositionCount(): number {
    let n = 0;
    for (const r of this.records.values()) if (r.qtyBase !== 0) n++;
    return n;
  }

  position(symbol: string): Position | undefined {
    const r = this.records.get(symbol);
    if (r === undefined) return undefined;
    const p: { -readonly [K in keyof Position]: Position[K] } = {
      symbol,
      qtyBase: r.qtyBase,
      avgEntryPriceQuote: r.avgEntryPriceQuote,
      realisedPnlQuote: r.realisedPnlQuote,
      feesQuote: r.feesQuote,
      openedAtMs: r.openedAtMs,
    };
    if (r.guard !== null) {
      p.stopPriceQuote = r.guard.stopPriceQuote;
      if (!Number.isNaN(r.guard.takeProfitPriceQuote)) p.takeProfitPriceQuote = r.guard.takeProfitPriceQuote;
    }
    return p;
  }

  unrealisedPnlQuote(symbol: string): number {
    const r = this.records.get(symbol);
    return r === undefined || r.qtyBase === 0 ? 0 : (r.markPriceQuote - r.avgEntryPriceQuote) * r.qtyBase;
  }

  /** Books one fill into cash and the symbol's position (quantities rounded to the market's step). */
  bookFill(rec: PositionRecord, fill: Fill, stepSize: number): void {
    const signed = fill.side === 'buy' ? fill.qtyBase : -fill.qtyBase;
    const cur = rec.qtyBase;
    this.cash -= signed * fill.priceQuote + fill.feeQuote;
    rec.feesQuote += fill.feeQuote;
    if (rec.markPriceQuote === 0) rec.markPriceQuote = fill.priceQuote; // first sight of the symbol
    if (cur === 0 || Math.sign(cur) === Math.sign(signed)) {
      // Toward zero, never to nearest: with the fee taken from the base received (Binance), the
      // held quantity is off the step, and a book rounded up would size every stop and exit above
      // the balance (refused as insufficient funds).
      const held = floorToStep(Math.abs(cur + signed), stepSize);
      const next = held > 0 ? Math.sign(signed) * held : roundToStep(cur + signed, stepSize);
      rec.avgEntryPriceQuote = (Math.abs(cur) * rec.avgEntryPriceQuote + fill.qtyBase * fill.priceQuote) / Math.abs(next);
      if (cur === 0) rec.openedAtMs = fill.timeMs;
      rec.qtyBase = next;
      return;
    }
    const closing = Math.min(fill.qtyBase, Math.abs(cur));
    rec.realisedPnlQuote += closing * (fill.priceQuote - rec.avgEntryPriceQuote) * Math.sign(cur);
    const next = roundToStep(cur + signed, stepSize);
    rec.qtyBase = next === 0 ? 0 : next; // no -0
    if (next === 0) {
      rec.avgEntryPriceQuote = 0;
    } else if (Math.sign(next) !== Math.sign(cur)) {
      rec.avgEntryPriceQuote = fill.priceQuote;
      rec.openedAtMs = fill.timeMs;
    }
  }

  toJSON(): readonly PositionState[] {
    const positions: PositionState[] = [];
    for (const r of this.records.values()) {
      const g = r.guard;
      positions.push({
        symbol: r.symbol,
        qtyBase: r.qtyBase,
        avgEntryPriceQuote: r.avgEntryPriceQuote,
        realisedPnlQuote: r.realisedPnlQuote,
        feesQuote: r.feesQuote,
        openedAtMs: r.openedAtMs,
        markPriceQuote: r.markPriceQuote,
        entryAtrQuote: r.entryAtrQuote ?? null,
        stopOrderId: r.stopOrderId,
        takeProfitOrderId: r.takeProfitOrderId,
        pendingOrderId: r.pendingOrderId,
        protectSeq: r.protectSeq,
        guard:
          g === null
            ? null
            : {
                positionSign: g.positionSign,
                stopPriceQuote: g.stopPriceQuote,
                takeProfitPriceQuote: Number.isNaN(g.takeProfitPriceQuote) ? null : g.takeProfitPriceQuote,
                bestPriceQuote: g.bestPriceQuote,
                atrQuote: g.atrQuote ?? null,
                native: g.native,
              },
      });
    }
    return positions;
  }

  static fromJSON(cashQuote: number, positions: readonly PositionState[]): PositionBook {
    const book = new PositionBook(cashQuote);
    for (const p of positions) {
      const r = book.record(p.symbol);
      r.qtyBase = p.qtyBase;
      r.avgEntryPriceQuote = p.avgEntryPriceQuote;
      r.realisedPnlQuote = p.realisedPnlQuote;
      r.feesQuote = p.feesQuote;
      r.openedAtMs = p.openedAtMs;
      r.markPriceQuote = p.markPriceQuote;
      r.entryAtrQuote = p.entryAtrQuote ?? undefined;
      r.stopOrderId = p.stopOrderId;
      r.takeProfitOrderId = p.takeProfitOrderId;
      r.pendingOrderId = p.pendingOrderId;
      r.protectSeq = p.protectSeq;
      const g = p.guard;
      r.guard =
        g === null
          ? null
          : {
              symbol: p.symbol,
              positionSign: g.positionSign,
              stopPriceQuote: g.stopPriceQuote,
              takeProfitPriceQuote: g.takeProfitPriceQuote ?? Number.NaN,
              bestPriceQuote: g.bestPriceQuote,
              atrQuote: g.atrQuote ?? undefined,
              native: g.native,
            };
    }
    return book;
  }
}
