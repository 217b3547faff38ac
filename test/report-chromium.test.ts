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

  it('shows a hover read-out of date and values over the equity chart', async () => {
    const html = renderReport(sampleBacktestResult({ bars: 24 * 30 }));
    // test-only probe: hover over the middle of the equity chart, copy the read-out onto <body>
    const probe = `<script>window.addEventListener('load', function () { setTimeout(function () {
      var svg = document.getElementById('equity-chart'); var r = svg.getBoundingClientRect();
      svg.dispatchEvent(new MouseEvent('mousemove', { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true }));
      var tip = document.querySelector('#equity-chart + script + .tooltip') || document.querySelector('.tooltip');
      document.body.setAttribute('data-hover', tip && tip.style.display === 'block' ? tip.textContent : 'none');
    }, 0); });</script>`;
    const url = write('report-hover.html', html.replace('</body>', `${probe}</body>`));
    const dom = await dumpDom(requireChromium(), url);
    const hover = /data-hover="([^"]*)"/.exec(dom)?.[1] ?? '';
    expect(hover).toMatch(/^\d{1,2} [A-Z][a-z]{2} 2024 \d\d:\d\d UTC/);
    expect(hover).toMatch(/Strategy: [\d,]+\.\d\d/);
    expect(hover).toMatch(/Buy &amp; hold: [\d,]+\.\d\d/); // textContent 'Buy & hold', re-escaped by the DOM dump
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
