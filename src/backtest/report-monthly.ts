import { escapeHtml, formatSignedPercent } from './report-format.js';
import type { EquityPoint } from './result.js';

export interface YearReturns {
  readonly year: number;
  /** Index 0 = January; null where the curve has no point in that month. */
  readonly months: readonly (number | null)[];
  /** The year's compounded return over the months present. */
  readonly total: number;
}

/**
 * Calendar-month (UTC) returns of an equity curve: the month's last equity over the previous
 * month's last equity (the first month starts from the curve's first point), minus 1.
 */
export function monthlyReturns(equity: readonly EquityPoint[]): YearReturns[] {
  const first = equity[0];
  if (first === undefined) return [];
  const monthEnds = new Map<number, number>(); // year × 12 + month → last equity
  for (const [t, e] of equity) {
    const d = new Date(t);
    monthEnds.set(d.getUTCFullYear() * 12 + d.getUTCMonth(), e);
  }
  const years = new Map<number, { months: (number | null)[]; growth: number }>();
  let prev = first[1];
  for (const [key, end] of [...monthEnds.entries()].sort((a, b) => a[0] - b[0])) {
    const year = Math.floor(key / 12);
    const row = years.get(year) ?? { months: Array<number | null>(12).fill(null), growth: 1 };
    const r = prev > 0 ? end / prev - 1 : 0;
    row.months[key % 12] = r;
    row.growth *= 1 + r;
    years.set(year, row);
    prev = end;
  }
  return [...years.entries()].map(([year, row]) => ({ year, months: row.months, total: row.growth - 1 }));
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A year × month table, cells tinted green (gain) or red (loss) by size. */
export function renderMonthlyTable(equity: readonly EquityPoint[]): string {
  const rows = monthlyReturns(equity);
  if (rows.length === 0) return '<p class="note">No data.</p>';
  const cell = (r: number | null, extraClass = ''): string => {
    if (r === null) return `<td class="${extraClass}"></td>`;
    const alpha = (0.08 + Math.min(Math.abs(r) / 0.15, 1) * 0.42).toFixed(2);
    const bg = r >= 0 ? `rgba(5,150,105,${alpha})` : `rgba(220,38,38,${alpha})`;
    return `<td class="${extraClass}" style="background:${bg}">${escapeHtml(formatSignedPercent(r, 1))}</td>`;
  };
  const head = `<tr><th class="l">Year</th>${MONTH_NAMES.map((m) => `<th>${m}</th>`).join('')}<th>Year</th></tr>`;
  const body = rows.map((row) => `<tr><td class="l">${row.year}</td>${row.months.map((r) => cell(r)).join('')}${cell(row.total, 'year')}</tr>`).join('');
  return `<table class="monthly"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}
