import type { Candle, Timeframe } from '../core/candle.js';
import { TIMEFRAMES, timeframeMs } from '../core/candle.js';
import { DataError } from '../core/errors.js';
import { CandlePlausibility, DEFAULT_PLAUSIBILITY, type PlausibilityBounds } from './candle-plausibility.js';

export const CANDLE_CSV_COLUMNS = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const;
export const CANDLE_CSV_HEADER = CANDLE_CSV_COLUMNS.join(',');

/** Rows buffered to infer the timeframe (smallest step between them) when none is given. */
const INFER_ROWS = 32;

interface PendingRow {
  readonly candle: Candle;
  readonly line: number;
}

/**
 * Incremental, validating parser for candle CSV text fed in arbitrary chunks (a line may straddle
 * two chunks). Every violation throws a DataError naming file, 1-based line (header = line 1),
 * column and reason: corrupt data is worse than no data, so nothing is skipped or repaired.
 */
export class CandleCsvParser {
  private rest = '';
  private lineNo = 0;
  private prevTs = Number.NaN;
  private tfMs: number;
  private tf: Timeframe | undefined;
  private pending: PendingRow[] | null;
  /** A blank line is only an error when a data row follows it (trailing blank lines are harmless). */
  private blankLine = 0;
  private readonly plausibility: CandlePlausibility;

  /** `plausibility`: the bounds a row must also meet (see CandlePlausibility); default DEFAULT_PLAUSIBILITY. */
  constructor(
    private readonly file: string,
    timeframe?: Timeframe,
    plausibility: PlausibilityBounds = DEFAULT_PLAUSIBILITY,
  ) {
    this.plausibility = new CandlePlausibility(plausibility);
    this.tf = timeframe;
    this.tfMs = timeframe === undefined ? Number.NaN : timeframeMs(timeframe);
    this.pending = timeframe === undefined ? [] : null;
  }

  /** The given or inferred timeframe; undefined while still inferring or for a one-row file. */
  get timeframe(): Timeframe | undefined {
    return this.tf;
  }

  /** Parses every complete line of `chunk` (plus what was left from the last chunk) into `sink`. */
  feed(chunk: string, sink: Candle[]): void {
    const text = this.rest.length > 0 ? this.rest + chunk : chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line(text, start, end, sink);
      start = nl + 1;
    }
    this.rest = text.slice(start);
  }

  /** Ends the input: parses a last line without newline, flushes rows held for inference. */
  end(sink: Candle[]): void {
    if (this.rest.length > 0) {
      const last = this.rest.endsWith('\r') ? this.rest.slice(0, -1) : this.rest;
      this.rest = '';
      this.line(last, 0, last.length, sink);
    }
    if (this.lineNo === 0) throw new DataError(`empty file, expected the header "${CANDLE_CSV_HEADER}"`, { file: this.file, line: 1 });
    const pending = this.pending;
    if (pending !== null && pending.length >= 2) this.inferAndFlush(pending, sink);
    else if (pending !== null) for (const p of pending) sink.push(p.candle);
    this.pending = null;
  }

  private fail(reason: string, line: number, column?: string): never {
    throw new DataError(reason, column === undefined ? { file: this.file, line } : { file: this.file, line, column });
  }

  /** One line: text[start, end) without its line break. */
  private line(text: string, start: number, end: number, sink: Candle[]): void {
    const lineNo = ++this.lineNo;
    if (lineNo === 1) {
      const raw = text.slice(start, end);
      const header = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (header !== CANDLE_CSV_HEADER) this.fail(`expected the header "${CANDLE_CSV_HEADER}", got "${clip(header)}"`, 1);
      return;
    }
    if (start === end) {
      if (this.blankLine === 0) this.blankLine = lineNo;
      return;
    }
    if (this.blankLine !== 0) this.fail('empty line in the middle of the data', this.blankLine);
    const candle = this.row(text, start, end, lineNo);
    const pending = this.pending;
    if (pending === null) {
      this.checkAligned(candle.openTimeMs, lineNo);
      sink.push(candle);
      return;
    }
    pending.push({ candle, line: lineNo });
    if (pending.length >= INFER_ROWS) this.inferAndFlush(pending, sink);
  }

  private row(text: string, start: number, end: number, lineNo: number): Candle {
    const c1 = text.indexOf(',', start);
    const c2 = c1 < 0 || c1 >= end ? -1 : text.indexOf(',', c1 + 1);
    const c3 = c2 < 0 || c2 >= end ? -1 : text.indexOf(',', c2 + 1);
    const c4 = c3 < 0 || c3 >= end ? -1 : text.indexOf(',', c3 + 1);
    const c5 = c4 < 0 || c4 >= end ? -1 : text.indexOf(',', c4 + 1);
    if (c5 < 0 || c5 >= end) {
      const fields = text.slice(start, end).split(',').length;
      this.fail(`missing (expected 6 fields, got ${fields}: truncated row?)`, lineNo, CANDLE_CSV_COLUMNS[fields]);
    }
    const c6 = text.indexOf(',', c5 + 1);
    if (c6 >= 0 && c6 < end) this.fail(`expected 6 fields, got ${text.slice(start, end).split(',').length}`, lineNo);
    const openTimeMs = parseDecimal(text, start, c1);
    if (!(openTimeMs >= 0 && Number.isSafeInteger(openTimeMs)) || !isUnsignedInteger(text, start, c1)) {
      const ts = text.slice(start, c1);
      if (ts.length === 0) this.fail('empty value', lineNo, 'timestamp');
      if (!isUnsignedInteger(ts, 0, ts.length)) this.fail(`"${clip(ts)}" is not an integer epoch-ms timestamp`, lineNo, 'timestamp');
      this.fail(`"${clip(ts)}" is out of range for a timestamp`, lineNo, 'timestamp');
    }
    const open = this.num(text, c1 + 1, c2, lineNo, 'open');
    const high = this.num(text, c2 + 1, c3, lineNo, 'high');
    const low = this.num(text, c3 + 1, c4, lineNo, 'low');
    const close = this.num(text, c4 + 1, c5, lineNo, 'close');
    const volume = this.num(text, c5 + 1, end, lineNo, 'volume');
    if (!(open > 0)) this.fail(`price ${open} must be > 0`, lineNo, 'open');
    if (!(high > 0)) this.fail(`price ${high} must be > 0`, lineNo, 'high');
    if (!(low > 0)) this.fail(`price ${low} must be > 0`, lineNo, 'low');
    if (!(close > 0)) this.fail(`price ${close} must be > 0`, lineNo, 'close');
    if (high < open || high < close) this.fail(`high ${high} is below max(open, close) = ${Math.max(open, close)}`, lineNo, 'high');
    if (low > open || low > close) this.fail(`low ${low} is above min(open, close) = ${Math.min(open, close)}`, lineNo, 'low');
    if (volume < 0) this.fail(`volume ${volume} must be >= 0`, lineNo, 'volume');
    const prev = this.prevTs;
    if (openTimeMs <= prev) {
      this.fail(
        openTimeMs === prev ? `duplicate timestamp ${openTimeMs}` : `timestamp ${openTimeMs} is before the previous row's ${prev} (rows must be ascending)`,
        lineNo,
        'timestamp',
      );
    }
    this.prevTs = openTimeMs;
    const candle = { openTimeMs, open, high, low, close, volume };
    const implausible = this.plausibility.judge(candle);
    if (implausible !== undefined)
      this.fail(`${implausible.reason}; fix or remove the row (the file is refused whole: corrupt data is worse than no data)`, lineNo, implausible.column);
    return candle;
  }

  private num(text: string, a: number, b: number, lineNo: number, column: string): number {
    const v = parseDecimal(text, a, b);
    if (v - v === 0) return v; // finite
    const s = text.slice(a, b);
    if (s.length === 0) this.fail('empty value', lineNo, column);
    if (!isDecimal(s)) this.fail(`"${clip(s)}" is not a number`, lineNo, column);
    this.fail(`"${clip(s)}" is not a finite number`, lineNo, column);
  }

  private checkAligned(ts: number, lineNo: number): void {
    if (ts % this.tfMs !== 0) this.fail(`timestamp ${ts} is not aligned to the ${this.tf} timeframe`, lineNo, 'timestamp');
  }

  private inferAndFlush(pending: PendingRow[], sink: Candle[]): void {
    let step = Number.POSITIVE_INFINITY;
    let stepLine = 0;
    for (let i = 1; i < pending.length; i++) {
      const d = pending[i]!.candle.openTimeMs - pending[i - 1]!.candle.openTimeMs;
      if (d < step) {
        step = d;
        stepLine = pending[i]!.line;
      }
    }
    const tf = TIMEFRAMES.find((t) => timeframeMs(t) === step);
    if (tf === undefined)
      this.fail(`cannot infer the timeframe: the smallest step between rows is ${step} ms, not one of ${TIMEFRAMES.join(', ')}`, stepLine, 'timestamp');
    this.tf = tf;
    this.tfMs = timeframeMs(tf);
    for (const p of pending) {
      this.checkAligned(p.candle.openTimeMs, p.line);
      sink.push(p.candle);
    }
    this.pending = null;
  }
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

function isUnsignedInteger(s: string, a: number, b: number): boolean {
  if (a === b) return false;
  for (let i = a; i < b; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 48 || ch > 57) return false;
  }
  return true;
}

/** Exact powers of ten: every one up to 1e22 is representable in float64. */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * s[a, b) as a plain decimal ([-]digits[.digits][e[+-]digits]); NaN when it is not one. Fast path
 * without slicing: up to 15 significant digits (an exact integer mantissa) and at most 22 decimals,
 * the value is mantissa / 10^decimals, one correctly rounded IEEE division of two exact numbers,
 * hence bit-identical to Number(). Anything longer, or with an exponent, goes to Number().
 */
function parseDecimal(s: string, a: number, b: number): number {
  let i = a;
  const neg = i < b && s.charCodeAt(i) === 45;
  if (neg) i++;
  let mantissa = 0;
  let digits = 0;
  let decimals = 0;
  let ch = 0;
  while (i < b && (ch = s.charCodeAt(i)) >= 48 && ch <= 57) {
    mantissa = mantissa * 10 + (ch - 48);
    digits++;
    i++;
  }
  if (i < b && ch === 46) {
    i++;
    while (i < b && (ch = s.charCodeAt(i)) >= 48 && ch <= 57) {
      mantissa = mantissa * 10 + (ch - 48);
      digits++;
      decimals++;
      i++;
    }
  }
  if (digits === 0) return Number.NaN;
  if (i < b || digits > 15 || decimals > 22) {
    const text = s.slice(a, b);
    return isDecimal(text) ? Number(text) : Number.NaN;
  }
  const v = decimals === 0 ? mantissa : mantissa / POW10[decimals]!;
  return neg ? -v : v;
}

/**
 * Plain decimal: [-]digits[.digits][e[+-]digits]. Rejects what Number() would quietly accept
 * ("", " ", "0x1A", "Infinity", "1_000") or turn into NaN ("NaN", "abc").
 */
function isDecimal(s: string): boolean {
  const n = s.length;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  const intStart = i;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  let digits = i - intStart;
  if (i < n && s.charCodeAt(i) === 46) {
    i++;
    const fracStart = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    digits += i - fracStart;
  }
  if (digits === 0) return false;
  if (i < n && (s.charCodeAt(i) | 32) === 101) {
    i++;
    if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i++;
    const expStart = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === expStart) return false;
  }
  return i === n;
}

function isDigit(ch: number): boolean {
  return ch >= 48 && ch <= 57;
}
