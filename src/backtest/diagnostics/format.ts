import type { BacktestDiagnostics } from './index.js';
import type { BaselineResult } from './baselines.js';
import type { Metrics } from '../result.js';

const pct = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(d)}%`);
const num = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '—' : x.toFixed(d));
const bp = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${(x * 10_000).toFixed(1)} bp`);

/** One line per candidate: the strategy first, then each baseline, same costs and bars. */
export function formatBaselineTable(
  strategy: {
    readonly metrics: Metrics;
    readonly timeInMarket: number | null;
    readonly avgCapitalDeployed: number | null;
    readonly feesShareOfGrossProfit: number | null;
  },
  baselines: readonly BaselineResult[],
): string[] {
  const head = `${'candidate'.padEnd(34)}${'return'.padStart(10)}${'Sharpe'.padStart(8)}${'max DD'.padStart(9)}${'trades'.padStart(8)}${'in mkt'.padStart(8)}${'capital'.padStart(9)}${'fees/gross'.padStart(11)}`;
  const row = (name: string, m: Metrics, time: number | null, capital: number | null, fees: number | null): string =>
    `${name.slice(0, 33).padEnd(34)}${pct(m.totalReturn).padStart(10)}${num(m.sharpe).padStart(8)}${pct(m.maxDrawdown).padStart(9)}${String(m.trades).padStart(8)}${pct(time, 0).padStart(8)}${pct(capital, 0).padStart(9)}${pct(fees, 0).padStart(11)}`;
  return [
    head,
    row('strategy', strategy.metrics, strategy.timeInMarket, strategy.avgCapitalDeployed, strategy.feesShareOfGrossProfit),
    ...baselines.map((b) => row(b.name, b.metrics, b.timeInMarket, b.avgCapitalDeployed, b.feesShareOfGrossProfit)),
  ];
}

/** The diagnostics as terminal text (below the metrics table of `wick backtest`). */
export function formatDiagnostics(d: BacktestDiagnostics, strategy: Metrics): string {
  const lines: string[] = [];
  lines.push('signal (traded period):');
  lines.push(`  IC by horizon   ${d.signal.ic.map((x) => `h${x.horizon}: ${num(x.pearson, 3)} / rank ${num(x.rank, 3)} (n ${x.n})`).join(', ')}`);
  for (const s of d.bySymbol) lines.push(`  rank IC ${s.symbol.padEnd(10)}${s.ic.map((x) => `h${x.horizon} ${num(x.rank, 3)}`).join(', ')}`);
  lines.push(
    `  deciles h${d.signal.ic[0]?.horizon ?? 1} (low → high prediction): mean realised ${d.signal.deciles.map((r) => bp(r.meanRealised)).join(' | ')}`,
  );
  lines.push(`                     hit rate ${d.signal.deciles.map((r) => pct(r.hitRate, 0)).join(' | ')}`);
  if (d.signal.calibration !== null) {
    lines.push(
      `  calibration: ${d.signal.calibration
        .filter((r) => r.n > 0)
        .map((r) => `p ${num(r.meanP)} → up ${pct(r.observedUp, 0)} (n ${r.n})`)
        .join(', ')}`,
    );
  }
  if (d.timing !== null) {
    const t = d.timing;
    const best = [...t.shifted].sort((a, b) => (b.sharpe ?? 0) - (a.sharpe ?? 0))[0];
    lines.push(
      `timing test: real timing ranks ${t.rank} of ${t.of} by Sharpe (p = ${t.pValue.toFixed(3)}); real ${num(t.real.sharpe)}, best shift ${best === undefined ? '—' : `${best.shift > 0 ? '+' : ''}${best.shift} bars: ${num(best.sharpe)}`}`,
    );
  }
  const tr = d.trading;
  const exits = Object.entries(tr.exitsByReason)
    .map(([k, v]) => `${k} ${pct(v, 0)}`)
    .join(', ');
  lines.push(
    `trading: ${tr.trades} trades, avg holding ${num(tr.avgHoldingHours, 1)} h, turnover ${num(tr.annualTurnover, 1)}× equity/yr, in market ${pct(tr.timeInMarket, 1)}, capital deployed ${pct(tr.avgCapitalDeployed, 1)}, fees ${pct(tr.feesShareOfGrossProfit, 0)} of gross profit${exits ? `; exits: ${exits}` : ''}`,
  );
  lines.push('baselines (same costs, same bars):');
  lines.push(
    ...formatBaselineTable(
      { metrics: strategy, timeInMarket: tr.timeInMarket, avgCapitalDeployed: tr.avgCapitalDeployed, feesShareOfGrossProfit: tr.feesShareOfGrossProfit },
      d.baselines,
    ).map((l) => `  ${l}`),
  );
  return `${lines.join('\n')}\n`;
}
