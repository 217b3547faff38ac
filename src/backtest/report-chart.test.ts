import { describe, expect, it } from 'vitest';
import { logTicks, niceTicks, renderChart, timeTicks, usesLogScale } from './report-chart.js';
import { downsampleMinMax } from './report-downsample.js';
import { escapeHtml, formatDuration, formatNumber, formatPercent, formatPrice, formatSignedPercent } from './report-format.js';
import type { EquityPoint } from './result.js';

describe('downsampleMinMax', () => {
  const wave: EquityPoint[] = Array.from(
    { length: 50_000 },
    (_v, i) => [i * 1000, Math.sin(i / 700) * 100 + (i === 31_337 ? -500 : 0) + (i === 4_242 ? 900 : 0)] as const,
  );

  it('keeps ends and extremes, stays under the limit, keeps time order', () => {
    const out = downsampleMinMax(wave, 2000);
    expect(out.length).toBeLessThanOrEqual(2000);
    expect(out.length).toBeGreaterThan(1900);
    expect(out[0]).toBe(wave[0]);
    expect(out[out.length - 1]).toBe(wave[wave.length - 1]);
    expect(out).toContain(wave[31_337]);
    expect(out).toContain(wave[4_242]);
    for (let i = 1; i < out.length; i++) expect((out[i] as EquityPoint)[0]).toBeGreaterThan((out[i - 1] as EquityPoint)[0]);
  });

  it('returns short curves unchanged', () => {
    const short = wave.slice(0, 10);
    expect(downsampleMinMax(short, 2000)).toBe(short);
  });
});

describe('chart axes', () => {
  it('nice ticks cover the range at round steps', () => {
    expect(niceTicks(9_123, 15_877, 5)).toEqual([8_000, 10_000, 12_000, 14_000, 16_000]);
    expect(niceTicks(-0.163, 0, 4)).toEqual([-0.2, -0.15, -0.1, -0.05, 0]);
    expect(niceTicks(100, 100).length).toBeGreaterThanOrEqual(2);
  });

  it('log ticks are 1-2-5 × 10ⁿ inside the range; auto scale switches at a 4× range', () => {
    expect(logTicks(4_000, 160_000, 7)).toEqual([5_000, 10_000, 20_000, 50_000, 100_000]);
    expect(logTicks(0.5, 3, 7)).toEqual([0.5, 0.7, 1, 1.5, 2, 3]);
    const series = (lo: number, hi: number) => [
      {
        name: 's',
        color: '#000',
        points: [
          [0, lo],
          [1, hi],
        ] as [number, number][],
      },
    ];
    expect(usesLogScale({ series: series(100, 399), scale: 'auto' })).toBe(false);
    expect(usesLogScale({ series: series(100, 400), scale: 'auto' })).toBe(true);
    expect(usesLogScale({ series: series(-1, 400), scale: 'auto' })).toBe(false);
    expect(usesLogScale({ series: series(100, 400) })).toBe(false);
    const svg = renderChart({ id: 'c', label: 'x', height: 300, series: series(100, 10_000), scale: 'auto', formatTick: String });
    expect(svg).toContain('data-scale="log"');
    expect([...svg.matchAll(/class="tick y"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual(['100', '300', '1000', '3000', '10000']); // 1-2-5 would be 7 ticks: too many for 300 px
  });

  it('time ticks land on round UTC dates', () => {
    const jan = Date.UTC(2024, 0, 1);
    expect(timeTicks(jan, Date.UTC(2024, 3, 29)).map((t) => t.label)).toEqual(['Jan 2024', 'Feb 2024', 'Mar 2024', 'Apr 2024']);
    expect(
      timeTicks(jan, jan + 3 * 86_400_000)
        .map((t) => t.label)
        .slice(0, 3),
    ).toEqual(['1 Jan 00:00', '1 Jan 12:00', '2 Jan 00:00']);
    expect(timeTicks(jan, jan + 7 * 86_400_000).map((t) => t.label)).toEqual([
      '1 Jan 2024',
      '2 Jan 2024',
      '3 Jan 2024',
      '4 Jan 2024',
      '5 Jan 2024',
      '6 Jan 2024',
      '7 Jan 2024',
      '8 Jan 2024',
    ]);
    expect(timeTicks(jan, Date.UTC(2030, 0, 1)).map((t) => t.label)).toContain('2027');
  });

  it('renders paths in the viewBox and a placeholder without data', () => {
    const svg = renderChart({
      id: 'c',
      label: 'x',
      height: 200,
      series: [
        {
          name: 'a',
          color: '#000',
          points: [
            [0, 1],
            [1, 2],
            [2, 1.5],
          ],
        },
      ],
      formatTick: String,
    });
    const d = /d="([^"]+)"/.exec(svg)?.[1] ?? '';
    for (const [, x, y] of d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)) {
      expect(Number(x)).toBeGreaterThanOrEqual(0);
      expect(Number(x)).toBeLessThanOrEqual(1000);
      expect(Number(y)).toBeLessThanOrEqual(200);
    }
    expect(renderChart({ id: 'c', label: 'x', height: 200, series: [], formatTick: String })).toContain('Not enough data');
  });
});

describe('report formatting', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('formats numbers for people', () => {
    expect(formatPercent(0.12345)).toBe('12.35 %');
    expect(formatPercent(null)).toBe('—');
    expect(formatSignedPercent(-0.041)).toBe('−4.10 %');
    expect(formatSignedPercent(0.5)).toBe('+50.00 %');
    expect(formatNumber(1234567.891)).toBe('1,234,567.89');
    expect(formatNumber(-0.001)).toBe('0.00');
    expect(formatPrice(65_000.123)).toBe('65,000.12');
    expect(formatPrice(0.0000123456789)).toBe('0.0000123457');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000)).toBe('3d 4h');
    expect(formatDuration(45 * 60_000)).toBe('45m');
    expect(formatDuration(null)).toBe('—');
  });
});
