import { DASHBOARD_CSS } from './style.js';
import { DASHBOARD_HTML } from './page.js';
import { DASHBOARD_JS } from './script.js';

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
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ASSETS: ReadonlyMap<string, DashboardAsset> = new Map([
  ['/', { contentType: 'text/html; charset=utf-8', body: Buffer.from(DASHBOARD_HTML), headers: { 'content-security-policy': CSP } }],
  ['/dashboard/app.js', { contentType: 'text/javascript; charset=utf-8', body: Buffer.from(DASHBOARD_JS), headers: {} }],
  ['/dashboard/app.css', { contentType: 'text/css; charset=utf-8', body: Buffer.from(DASHBOARD_CSS), headers: {} }],
]);

/** The dashboard file served at `path`, or null. */
export function dashboardAsset(path: string): DashboardAsset | null {
  return ASSETS.get(path === '/index.html' || path === '/dashboard' || path === '/dashboard/' ? '/' : path) ?? null;
}
