import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReport } from '../src/backtest/report.js';
import { sampleBacktestResult } from '../src/backtest/report-sample.js';
import { CHROMIUM_MISSING, countPixelsNear, decodePng, distinctColours, dumpDom, findChromium, screenshot } from './support/chromium.js';

/**
 * The report opened in a real browser: the SVG charts must lay out with real geometry (the
 * report's own script measures them and writes data-charts-drawn on <body>), and a screenshot
 * must show the coloured lines. On CI a missing Chromium fails this file; locally it skips.
 */
const chromium = findChromium();
const onCi = (process.env['CI'] ?? '') !== '' && process.env['CI'] !== 'false' && process.env['CI'] !== '0';
if (chromium === null && !onCi) console.warn(`report-chromium.test.ts skipped: ${CHROMIUM_MISSING}`);

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const STRATEGY_BLUE = [0x25, 0x63, 0xeb] as const;
const DRAWDOWN_RED = [0xdc, 0x26, 0x26] as const;

function requireChromium(): string {
  if (chromium === null) throw new Error(`${CHROMIUM_MISSING} It is required when CI is set.`);
  return chromium;
}

describe.skipIf(chromium === null && !onCi)('HTML report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wick-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, html: string): string => {
    const path = join(dir, name);
    writeFileSync(path, html);
    return pathToFileURL(path).href;
  };

  it('finds a Chromium binary', () => {
    expect(requireChromium()).toMatch(/chrom/i);
  });

  it('draws both charts (measured in the browser)', async () => {
    const url = write('report.html', renderReport(sampleBacktestResult({ bars: 24 * 90 })));
    const dom = await dumpDom(requireChromium(), url);
    expect(dom).not.toMatch(/<body[^>]*data-charts-error/);
    expect(dom).toMatch(/<body[^>]* data-charts-drawn="2"/);
    expect(dom).toContain('data-charts-expected="2"');
  });

  it('reports 0 charts drawn when there is nothing to draw (the check can fail)', async () => {
    const sample = sampleBacktestResult({ bars: 1 });
    const url = write('report-empty.html', renderReport({ ...sample, equity: [], buyAndHoldEquity: [] }));
    const dom = await dumpDom(requireChromium(), url);
    expect(dom).toMatch(/<body[^>]* data-charts-drawn="0"/);
  });

  it('draws a downsampled 50k-bar report too', async () => {
    const url = write('report-50k.html', renderReport(sampleBacktestResult({ bars: 50_000, seed: 11 })));
    const dom = await dumpDom(requireChromium(), url);
    expect(dom).toMatch(/<body[^>]* data-charts-drawn="2"/);
  });

  it('screenshot shows the charts: test-artifacts/report.png', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = join(ARTIFACTS, 'report.png');
    rmSync(png, { force: true });
    const url = write('report-shot.html', renderReport(sampleBacktestResult({ bars: 24 * 120 })));
    await screenshot(requireChromium(), url, png, { width: 1280, height: 2000 });
    expect(statSync(png).size).toBeGreaterThan(30_000);
    const image = decodePng(readFileSync(png));
    expect([image.width, image.height]).toEqual([1280, 2000]);
    expect(distinctColours(image)).toBeGreaterThan(50);
    // the strategy's equity line and the shaded drawdown are on screen, in their colours
    expect(countPixelsNear(image, STRATEGY_BLUE, 30)).toBeGreaterThan(1500);
    expect(countPixelsNear(image, DRAWDOWN_RED, 30)).toBeGreaterThan(500);
  });
});
