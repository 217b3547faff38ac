/** Text formatting for the HTML report. Every function returns plain text: escape it before use. */

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

export const MISSING = '—';

export function formatPercent(x: number | null, digits = 2): string {
  if (x === null || !Number.isFinite(x)) return MISSING;
  return `${formatNumber(x * 100, digits)} %`;
}

/** A percentage with an explicit sign: "+12.30 %", "−4.10 %". */
export function formatSignedPercent(x: number | null, digits = 2): string {
  if (x === null || !Number.isFinite(x)) return MISSING;
  const text = formatPercent(Math.abs(x), digits);
  return x > 0 ? `+${text}` : x < 0 ? `−${text}` : text;
}

export function formatNumber(x: number | null, digits = 2): string {
  if (x === null || !Number.isFinite(x)) return MISSING;
  const text = Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return x < 0 && text !== (0).toFixed(digits) ? `−${text}` : text;
}

export function formatInteger(x: number | null): string {
  return formatNumber(x, 0);
}

/** Prices from 65,000 down to 0.00001234: more decimals for smaller numbers. */
export function formatPrice(x: number): string {
  if (!Number.isFinite(x)) return MISSING;
  const abs = Math.abs(x);
  if (abs >= 1000) return formatNumber(x, 2);
  if (abs >= 1) return formatNumber(x, 4);
  if (abs === 0) return '0';
  return x.toLocaleString('en-US', { maximumSignificantDigits: 6 });
}

export function formatQty(x: number): string {
  if (!Number.isFinite(x)) return MISSING;
  return x.toLocaleString('en-US', { maximumSignificantDigits: 6, maximumFractionDigits: 8 });
}

/** "3d 4h", "45m", "2y 10d": the two largest units. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return MISSING;
  if (ms <= 0) return '0';
  const units: readonly (readonly [string, number])[] = [
    ['y', 365 * 86_400_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (let i = 0; i < units.length; i++) {
    const [name, size] = units[i] as readonly [string, number];
    if (ms < size) continue;
    const major = Math.floor(ms / size);
    const next = units[i + 1];
    const minor = next === undefined ? 0 : Math.floor((ms - major * size) / next[1]);
    return next !== undefined && minor > 0 ? `${major}${name} ${minor}${next[0]}` : `${major}${name}`;
  }
  return `${ms} ms`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** "2024-03-05 14:00" (UTC). */
export function formatDateTime(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return MISSING;
  const d = new Date(ms);
  return `${formatDate(ms)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** "2024-03-05" (UTC). */
export function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}
