import { describe, expect, it } from 'vitest';
import { computeMetrics } from './metrics.js';
import { MAX_CHART_POINTS, renderReport } from './report.js';
import { sampleBacktestResult } from './report-sample.js';
import type { BacktestResult } from './result.js';

const EVIL = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

describe('renderReport', () => {
  const result = sampleBacktestResult({ bars: 24 * 60 });
  const html = renderReport(result);

  it('is one self-contained document: no external scripts, styles, fonts or images', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain(`default-src 'none'`);
  });

  it('shows the title, both charts, the metrics side by side and every trade', () => {
    expect(html).toContain('<h1>BTC/USDT · 1h</h1>');
    expect(html).toContain('id="equity-chart"');
    expect(html).toContain('id="drawdown-chart"');
    expect(html.match(/<path class="series"/g)).toHaveLength(4);
    expect(html).toContain('<th>Strategy</th><th>Buy &amp; hold</th>');
    const total = result.metrics.strategy.totalReturn ?? 0;
    expect(html).toContain(`${total > 0 ? '+' : '−'}${(Math.abs(total) * 100).toFixed(2)} %`);
    expect(html.match(/<tbody>.*?<\/tbody>/gs)?.some((b) => (b.match(/<tr>/g) ?? []).length === result.trades.length)).toBe(true);
  });

  it('escapes every text from the result', () => {
    const evil: BacktestResult = {
      ...result,
      config: { ...result.config, symbols: [`EVIL${EVIL}/USDT`], exchange: EVIL, modelId: EVIL, note: EVIL },
      trades: result.trades.map((t, i) => ({ ...t, symbol: i % 2 === 0 ? EVIL : 'ETH/USDT', exitReason: EVIL })),
    };
    const out = renderReport(evil);
    expect(out).not.toContain('<script>alert');
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    // only the report's own inline script and the JSON data blocks
    expect(out.match(/<script/g)).toHaveLength(3);
    expect(out).toContain('<th class="l">Symbol</th>'); // several symbols: the column is shown, escaped
  });

  it('lists the run configuration with nested settings as dotted keys', () => {
    const out = renderReport({ ...result, config: { ...result.config, risk: { maxPositionFraction: 0.5, stop: { pct: 0.02 } } } });
    expect(out).toContain('<tr><td>risk.maxPositionFraction</td><td>0.5</td></tr>');
    expect(out).toContain('<tr><td>risk.stop.pct</td><td>0.02</td></tr>');
    expect(out).toContain('<tr><td>symbols</td><td>[&quot;BTC/USDT&quot;]</td></tr>');
  });

  it('downsamples a 50k-bar result: ≤ 2,000 points per line, a small file', () => {
    const big = sampleBacktestResult({ bars: 50_000 });
    const out = renderReport(big);
    const paths = [...out.matchAll(/<path class="series"[^>]* d="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(paths).toHaveLength(4);
    for (const d of paths) expect((d.match(/[ML]/g) ?? []).length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(out.length).toBeLessThan(1_500_000);
    expect(out).toContain('50,000 bars drawn as 2,000 points');
  });

  it('renders an empty run without NaN', () => {
    const empty = computeMetrics({ equity: [], trades: [], exposed: [], barsPerYear: 8760 });
    const out = renderReport({ ...result, metrics: { strategy: empty, buyAndHold: empty }, trades: [], equity: [], buyAndHoldEquity: [] });
    expect(out).not.toMatch(/NaN|Infinity|>undefined<|"undefined"/);
    expect(out).toContain('Not enough data to draw this chart');
    expect(out).toContain('No trades.');
    expect(out).toContain('empty period');
  });

  it('shows undefined metrics as a dash and a lossless profit factor as ∞', () => {
    const m = computeMetrics({
      equity: [
        [0, 100],
        [3_600_000, 100],
        [7_200_000, 100],
      ],
      trades: [{ ...(result.trades[0] ?? fail()), pnl: 5 }],
      exposed: [false, true, false],
      barsPerYear: 8760,
    });
    const out = renderReport({ ...result, metrics: { strategy: m, buyAndHold: m } });
    expect(out).toMatch(/<td class="l">Sharpe<\/td><td>—<\/td>/);
    expect(out).toMatch(/<td class="l">Profit factor<\/td><td>∞<\/td>/);
    expect(out).not.toMatch(/NaN/);
  });
});

function fail(): never {
  throw new Error('sample has no trades');
}
