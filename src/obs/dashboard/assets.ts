import { DASHBOARD_CSS } from './style.js';
import { DASHBOARD_HTML } from './page.js';
import { DASHBOARD_JS } from './script.js';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b1020"/><path d="M16 4v24" stroke="#8a96b2" stroke-width="2"/><rect x="11" y="9" width="10" height="14" rx="1.5" fill="#3b82f6"/></svg>';

export interface DashboardAsset {
  readonly contentType: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The dashboard is three files compiled into the build (no CDN, no node_modules at runtime), so it
 * works offline and ships with `dist/`. The CSP allows only wick's own origin: the page can talk to
 * nothing else.
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ASSETS: ReadonlyMap<string, DashboardAsset> = new Map([
  ['/', { contentType: 'text/html; charset=utf-8', body: Buffer.from(DASHBOARD_HTML), headers: { 'content-security-policy': CSP } }],
  ['/dashboard/app.js', { contentType: 'text/javascript; charset=utf-8', body: Buffer.from(DASHBOARD_JS), headers: {} }],
  ['/dashboard/icon.svg', { contentType: 'image/svg+xml', body: Buffer.from(ICON_SVG), headers: {} }],
  ['/dashboard/app.css', { contentType: 'text/css; charset=utf-8', body: Buffer.from(DASHBOARD_CSS), headers: {} }],
]);

/** The dashboard file served at `path`, or null. */
export function dashboardAsset(path: string): DashboardAsset | null {
  return ASSETS.get(path === '/index.html' || path === '/dashboard' || path === '/dashboard/' ? '/' : path) ?? null;
}
