import { CHROMIUM_MISSING, findChromium } from './chromium.js';

/**
 * Headless Chromium driven by playwright-core (the system binary, no browser download), for tests
 * that click and type. playwright-core is loaded at run time so the type check passes on machines
 * without it; the few calls the tests make are typed here.
 */
export interface BrowserPage {
  goto(url: string): Promise<unknown>;
  fill(selector: string, value: string): Promise<void>;
  click(selector: string): Promise<void>;
  waitForSelector(selector: string, options?: { state?: 'attached' | 'visible' | 'hidden'; timeout?: number }): Promise<unknown>;
  textContent(selector: string): Promise<string | null>;
  getAttribute(selector: string, name: string): Promise<string | null>;
  isVisible(selector: string): Promise<boolean>;
  evaluate<R>(fn: () => R): Promise<R>;
  reload(): Promise<unknown>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<Buffer>;
  on(event: 'pageerror', listener: (err: Error) => void): void;
  on(event: 'console', listener: (msg: { type(): string; text(): string }) => void): void;
  on(event: 'dialog', listener: (dialog: { message(): string; accept(): Promise<void> }) => void): void;
}

export interface Browser {
  newPage(options?: { viewport?: { width: number; height: number }; deviceScaleFactor?: number }): Promise<BrowserPage>;
  close(): Promise<void>;
}

interface PlaywrightCore {
  chromium: { launch(options: { executablePath: string; headless: boolean; args: string[] }): Promise<Browser> };
}

export const PLAYWRIGHT_MISSING = 'playwright-core not installed: npm install --no-save playwright-core (it drives the system Chromium; no browser download).';

/** True when CI is set (and not "false"/"0"): browser tests must run there, never skip. */
export const onCi = (process.env['CI'] ?? '') !== '' && process.env['CI'] !== 'false' && process.env['CI'] !== '0';

async function loadPlaywright(): Promise<PlaywrightCore | null> {
  const name = 'playwright-core'; // a variable: no compile-time dependency on the package
  try {
    return (await import(name)) as PlaywrightCore;
  } catch {
    return null;
  }
}

/** Why a browser test cannot run here, or null when it can. */
export async function browserUnavailable(): Promise<string | null> {
  if (findChromium() === null) return CHROMIUM_MISSING;
  if ((await loadPlaywright()) === null) return PLAYWRIGHT_MISSING;
  return null;
}

/** Launches the system Chromium headless; throws with the install hint when it or playwright-core is missing. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  if (executablePath === null) throw new Error(CHROMIUM_MISSING);
  const playwright = await loadPlaywright();
  if (playwright === null) throw new Error(PLAYWRIGHT_MISSING);
  return playwright.chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
