import {
  escapeHtml,
  formatDateTime,
  formatDuration,
  formatInteger,
  formatNumber,
  formatPrice,
  formatQty,
  formatSignedPercent,
  MISSING,
} from './report-format.js';
import type { Trade } from './result.js';

/** Most trades listed in the HTML table; the JSON result always holds all of them. */
export const MAX_TRADE_ROWS = 2000;

/** The trade list: a scrolling table body (rows and note), for the report's Trades card. */
export function renderTradeTable(trades: readonly Trade[], quote: string): { readonly html: string; readonly note: string } {
  if (trades.length === 0) return { html: '<p class="note">No trades.</p>', note: '' };
  const shown = trades.slice(0, MAX_TRADE_ROWS);
  // one market: its name is in the title, a column of it would only push the table wider
  const showSymbol = new Set(trades.map((t) => t.symbol)).size > 1;
  const rows = shown.map((t, i) => {
    const ret = tradeReturn(t);
    const cls = t.pnl > 0 ? 'pos' : t.pnl < 0 ? 'neg' : '';
    const cells = [
      `<td>${i + 1}</td>`,
      showSymbol ? `<td class="l">${escapeHtml(t.symbol)}</td>` : '',
      `<td class="l">${escapeHtml(t.side)}</td>`,
      `<td class="l">${escapeHtml(formatDateTime(t.entryTimeMs))}</td>`,
      `<td>${escapeHtml(formatPrice(t.entryPrice))}</td>`,
      `<td class="l">${escapeHtml(formatDateTime(t.exitTimeMs))}</td>`,
      `<td>${escapeHtml(formatPrice(t.exitPrice))}</td>`,
      `<td>${escapeHtml(formatQty(t.qty))}</td>`,
      `<td>${escapeHtml(formatNumber(t.fee))}</td>`,
      `<td class="${cls}">${escapeHtml(formatNumber(t.pnl))}</td>`,
      `<td class="${cls}">${escapeHtml(formatSignedPercent(ret))}</td>`,
      `<td>${escapeHtml(formatDuration(t.exitTimeMs - t.entryTimeMs))}</td>`,
      `<td class="l">${escapeHtml(t.exitReason)}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  const q = quote ? ` (${escapeHtml(quote)})` : '';
  const head = `<tr><th>#</th>${showSymbol ? '<th class="l">Symbol</th>' : ''}<th class="l">Side</th><th class="l">Entry (UTC)</th><th>Entry price</th><th class="l">Exit (UTC)</th><th>Exit price</th><th>Qty</th><th>Fee${q}</th><th>PnL${q}</th><th>Return</th><th>Held</th><th class="l">Exit reason</th></tr>`;
  const note =
    trades.length > shown.length
      ? `First ${formatInteger(shown.length)} of ${formatInteger(trades.length)} trades shown; the JSON result lists all of them. PnL is net of fees; return is PnL over entry notional.`
      : 'PnL is net of fees; return is PnL over entry notional.';
  return { html: `<div class="scroll"><table class="trades"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`, note };
}

/** Summary rows about the trades themselves (best, worst, holding times, exit reasons). */
export function renderTradeBreakdown(trades: readonly Trade[], quote: string): string {
  const money = (x: number | null): string => (x === null ? MISSING : `${formatNumber(x)}${quote ? ` ${quote}` : ''}`);
  const wins = trades.filter((t) => t.pnl > 0);
  const losses = trades.filter((t) => t.pnl < 0);
  const mean = (xs: readonly number[]): number | null => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const best = trades.reduce<Trade | null>((a, t) => (a === null || t.pnl > a.pnl ? t : a), null);
  const worst = trades.reduce<Trade | null>((a, t) => (a === null || t.pnl < a.pnl ? t : a), null);
  const held = trades.map((t) => t.exitTimeMs - t.entryTimeMs);
  let streak = 0;
  let maxLosingStreak = 0;
  for (const t of trades) {
    streak = t.pnl < 0 ? streak + 1 : 0;
    maxLosingStreak = Math.max(maxLosingStreak, streak);
  }
  const reasons = new Map<string, number>();
  for (const t of trades) reasons.set(t.exitReason, (reasons.get(t.exitReason) ?? 0) + 1);
  const withReturn = (t: Trade | null): string => (t === null ? MISSING : `${money(t.pnl)} (${formatSignedPercent(tradeReturn(t))})`);
  const rows: [string, string][] = [
    ['Long / short', `${formatInteger(trades.filter((t) => t.side === 'long').length)} / ${formatInteger(trades.filter((t) => t.side === 'short').length)}`],
    ['Winning / losing', `${formatInteger(wins.length)} / ${formatInteger(losses.length)}`],
    ['Average win', money(mean(wins.map((t) => t.pnl)))],
    ['Average loss', money(mean(losses.map((t) => t.pnl)))],
    ['Best trade', withReturn(best)],
    ['Worst trade', withReturn(worst)],
    ['Longest losing streak', formatInteger(trades.length > 0 ? maxLosingStreak : null)],
    ['Average holding time', formatDuration(mean(held))],
    ['Longest holding time', formatDuration(held.length > 0 ? Math.max(...held) : null)],
  ];
  const reasonRows = [...reasons.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `<tr><td class="l">Exit: ${escapeHtml(reason || '(none)')}</td><td>${escapeHtml(formatInteger(n))}</td></tr>`);
  const body = rows.map(([k, v]) => `<tr><td class="l">${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('') + reasonRows.join('');
  return `<table class="breakdown"><thead><tr><th class="l">Trades</th><th>Strategy</th></tr></thead><tbody>${body}</tbody></table>`;
}

function tradeReturn(t: Trade): number | null {
  const notional = t.qty * t.entryPrice;
  return notional > 0 ? t.pnl / notional : null;
}
