import { describe, expect, it } from 'vitest';
import { monthlyReturns, renderMonthlyTable } from './report-monthly.js';
import type { EquityPoint } from './result.js';

describe('monthlyReturns', () => {
  it('chains month-end equities, the first month from the first point', () => {
    // 100 on 15 Dec 2023, 110 at the end of Dec, 99 at the end of Jan 2024, 118.8 in Mar (no Feb point)
    const equity: EquityPoint[] = [
      [Date.UTC(2023, 11, 15), 100],
      [Date.UTC(2023, 11, 31, 23), 110],
      [Date.UTC(2024, 0, 10), 105],
      [Date.UTC(2024, 0, 31, 23), 99],
      [Date.UTC(2024, 2, 5), 118.8],
    ];
    const rows = monthlyReturns(equity);
    expect(rows.map((r) => r.year)).toEqual([2023, 2024]);
    expect(rows[0]?.months[11]).toBeCloseTo(0.1, 12); // 110 / 100 - 1
    expect(rows[0]?.total).toBeCloseTo(0.1, 12);
    expect(rows[1]?.months[0]).toBeCloseTo(-0.1, 12); // 99 / 110 - 1
    expect(rows[1]?.months[1]).toBeNull();
    expect(rows[1]?.months[2]).toBeCloseTo(0.2, 12); // 118.8 / 99 - 1
    expect(rows[1]?.total).toBeCloseTo(0.9 * 1.2 - 1, 12);
    expect(renderMonthlyTable(equity)).toContain('+20.0 %');
    expect(monthlyReturns([])).toEqual([]);
  });
});
