import { escapeHtml } from './report-format.js';
import type { EquityPoint } from './result.js';

/**
 * Server-side SVG line charts for the report: no script is needed to see them, so the report reads
 * the same offline, printed, or with scripts blocked.
 */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly EquityPoint[];
  /** CSS colour. */
  readonly color: string;
  readonly dashed?: boolean;
  /** Shade the area between the line and the chart's baseline. */
  readonly area?: boolean;
}

export interface ChartSpec {
  readonly id: string;
  /** Accessible name of the chart. */
  readonly label: string;
  readonly height: number;
  readonly series: readonly ChartSeries[];
  /** Formats a y tick; `step` is the distance between ticks, to pick the decimals. */
  readonly formatTick: (value: number, step: number) => string;
  /** Values the y axis must include (e.g. 0 for drawdowns). */
  readonly includeY?: readonly number[];
  /** Where shaded areas end (default: the bottom of the plot). */
  readonly baseline?: number;
  /** 'auto': logarithmic when every value is positive and max/min ≥ LOG_SCALE_RATIO. Default 'linear'. */
  readonly scale?: 'linear' | 'log' | 'auto';
}

/** From this max/min ratio on, an 'auto' chart switches to a log scale (a 10× benchmark would flatten the rest). */
export const LOG_SCALE_RATIO = 4;

/** Whether `renderChart` draws this spec on a log scale. */
export function usesLogScale(spec: Pick<ChartSpec, 'series' | 'scale'>): boolean {
  if (spec.scale === undefined || spec.scale === 'linear') return false;
  let min = Infinity;
  let max = -Infinity;
  for (const s of spec.series) {
    for (const [, v] of s.points) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  if (!(min > 0) || !Number.isFinite(max)) return false;
  return spec.scale === 'log' || max / min >= LOG_SCALE_RATIO;
}

export const CHART_WIDTH = 1000;
const MARGIN = { top: 14, right: 16, bottom: 30, left: 76 } as const;

export function renderChart(spec: ChartSpec): string {
  const drawable = spec.series.filter((s) => s.points.length >= 2);
  const { height } = spec;
  const open = `<svg class="chart" id="${escapeHtml(spec.id)}" viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-label="${escapeHtml(spec.label)}" xmlns="http://www.w3.org/2000/svg">`;
  if (drawable.length === 0) {
    return `${open}<text class="empty" x="${CHART_WIDTH / 2}" y="${height / 2}" text-anchor="middle">Not enough data to draw this chart</text></svg>`;
  }

  const times = drawable.flatMap((s) => [firstOf(s.points)[0], lastOf(s.points)[0]]);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const s of drawable) {
    for (const [, v] of s.points) {
      if (v < yMin) yMin = v;
      if (v > yMax) yMax = v;
    }
  }
  for (const v of spec.includeY ?? []) {
    yMin = Math.min(yMin, v);
    yMax = Math.max(yMax, v);
  }
  const log = usesLogScale(spec);
  const targetTicks = Math.max(3, Math.round(height / 70));
  const yTicks = log ? logTicks(yMin, yMax, targetTicks + 2) : niceTicks(yMin, yMax, targetTicks);
  const yStep = log ? Math.min(...yTicks) : yTicks.length > 1 ? (yTicks[1] as number) - (yTicks[0] as number) : 1;
  const f = log ? Math.log10 : (v: number): number => v;
  const pad = log ? (f(yMax) - f(yMin)) * 0.03 : 0;
  const lo = log ? f(yMin) - pad : (yTicks[0] as number);
  const hi = log ? f(yMax) + pad : (yTicks[yTicks.length - 1] as number);

  const plotW = CHART_WIDTH - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const x = (t: number): number => MARGIN.left + (t1 > t0 ? ((t - t0) / (t1 - t0)) * plotW : plotW / 2);
  const y = (v: number): number => MARGIN.top + (hi > lo ? ((hi - f(v)) / (hi - lo)) * plotH : plotH / 2);

  const parts: string[] = [open];
  parts.push('<g class="grid">');
  for (const v of yTicks) {
    const yy = fmt(y(v));
    parts.push(`<line x1="${MARGIN.left}" x2="${CHART_WIDTH - MARGIN.right}" y1="${yy}" y2="${yy}"/>`);
    parts.push(
      `<text class="tick y" x="${MARGIN.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${escapeHtml(spec.formatTick(v, yStep))}</text>`,
    );
  }
  for (const tick of timeTicks(t0, t1)) {
    const xx = fmt(x(tick.t));
    parts.push(`<line class="v" x1="${xx}" x2="${xx}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}"/>`);
    parts.push(`<text class="tick x" x="${xx}" y="${MARGIN.top + plotH + 19}" text-anchor="middle">${escapeHtml(tick.label)}</text>`);
  }
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${CHART_WIDTH - MARGIN.right}" y1="${fmt(MARGIN.top + plotH)}" y2="${fmt(MARGIN.top + plotH)}"/>`);
  parts.push('</g>');

  const baseY = fmt(spec.baseline === undefined || log ? MARGIN.top + plotH : y(Math.min(hi, Math.max(lo, spec.baseline))));
  for (const s of drawable) {
    const d = s.points.map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${fmt(x(t))} ${fmt(y(v))}`).join('');
    if (s.area === true) {
      const area = `${d}L${fmt(x(lastOf(s.points)[0]))} ${baseY}L${fmt(x(firstOf(s.points)[0]))} ${baseY}Z`;
      parts.push(`<path class="area" d="${area}" fill="${escapeHtml(s.color)}"/>`);
    }
    const dash = s.dashed === true ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<path class="series" data-series="${escapeHtml(s.name)}" d="${d}" stroke="${escapeHtml(s.color)}"${dash}/>`);
  }
  // a transparent layer the inline script uses for the hover read-out
  parts.push(
    `<rect class="hover-area" x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" data-t0="${t0}" data-t1="${t1}" data-scale="${log ? 'log' : 'linear'}"/>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

/** Round numbers (1, 2, 2.5, 5 × 10ⁿ apart) covering [min, max], about `target` intervals. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max - min < 1e-12 * Math.max(1, Math.abs(max))) {
    const pad = Math.abs(max) * 0.01 || 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(roundTo(k * step, step));
  return ticks;
}

/** Log-scale ticks: 1-2-5 (or denser, 1-3, or only powers of ten) × 10ⁿ inside [min, max], at most `maxTicks`. */
export function logTicks(min: number, max: number, maxTicks = 7): number[] {
  const sets = [[1, 1.5, 2, 3, 5, 7], [1, 2, 5], [1, 3], [1]];
  let best: number[] = [];
  for (const mantissas of sets) {
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      for (const m of mantissas) {
        const v = roundTo(m * 10 ** e, 10 ** e);
        if (v >= min && v <= max) ticks.push(v);
      }
    }
    best = ticks;
    if (ticks.length <= maxTicks) break;
  }
  // every power-of-ten tick may still be too many (a 10¹²× range): thin them evenly
  while (best.length > maxTicks) best = best.filter((_v, i) => i % 2 === 0);
  return best.length >= 2 ? best : [min, max];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** UTC time ticks at round intervals (hours, days, weeks, months, years), at most ~8. */
export function timeTicks(t0: number, t1: number, maxTicks = 8): { t: number; label: string }[] {
  const span = t1 - t0;
  if (!(span > 0)) return [{ t: t0, label: dateLabel(t0, DAY) }];
  for (const step of [HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY]) {
    if (span / step <= maxTicks) {
      const ticks: { t: number; label: string }[] = [];
      // weeks start on Monday (1970-01-05 was one)
      const origin = step === 7 * DAY || step === 14 * DAY ? 4 * DAY : 0;
      for (let t = Math.ceil((t0 - origin) / step) * step + origin; t <= t1; t += step) ticks.push({ t, label: dateLabel(t, step) });
      return ticks;
    }
  }
  for (const months of [1, 2, 3, 6, 12, 24, 60, 120]) {
    if (span / (months * 30.44 * DAY) <= maxTicks) {
      const start = new Date(t0);
      let index = start.getUTCFullYear() * 12 + start.getUTCMonth();
      index = Math.ceil(index / months) * months;
      const ticks: { t: number; label: string }[] = [];
      for (;;) {
        const t = Date.UTC(Math.floor(index / 12), index % 12, 1);
        if (t > t1) break;
        if (t >= t0) ticks.push({ t, label: months >= 12 ? String(Math.floor(index / 12)) : `${MONTHS[index % 12] ?? ''} ${Math.floor(index / 12)}` });
        index += months;
      }
      return ticks;
    }
  }
  return [];
}

function dateLabel(t: number, step: number): string {
  const d = new Date(t);
  const day = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''}`;
  if (step < DAY) return `${day} ${String(d.getUTCHours()).padStart(2, '0')}:00`;
  return `${day} ${d.getUTCFullYear()}`;
}

function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, Math.ceil(-Math.log10(step)) + 2);
  return Number(value.toFixed(Math.min(20, decimals)));
}

function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function firstOf(points: readonly EquityPoint[]): EquityPoint {
  return points[0] as EquityPoint;
}

function lastOf(points: readonly EquityPoint[]): EquityPoint {
  return points[points.length - 1] as EquityPoint;
}
