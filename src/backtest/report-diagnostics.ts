import type { BacktestDiagnostics } from './diagnostics/index.js';
import type { Metrics } from './result.js';
import { escapeHtml, formatInteger, formatNumber, formatPercent, formatSignedPercent, MISSING } from './report-format.js';

function section(id: string, title: string, body: string, note: string): string {
  return `<section class="card" id="${id}"><div class="card-head"><h2>${escapeHtml(title)}</h2></div>${body}${note ? `<p class="note">${escapeHtml(note)}</p>` : ''}</section>`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = head.map((h, i) => `<th${i === 0 ? ' class="l"' : ''}>${escapeHtml(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td${i === 0 ? ' class="l"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<div class="hscroll"><table class="metrics"><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table></div>`;
}

const bp = (x: number | null): string => (x === null ? MISSING : `${formatNumber(x * 10_000, 1)} bp`);

/**
 * The report's evaluation sections: signal quality (IC, deciles, calibration), the timing test,
 * trading statistics and the baselines under the same costs. Empty when the result has none.
 */
export function renderDiagnosticsCards(d: BacktestDiagnostics | undefined, strategy: Metrics): string {
  if (d === undefined) return '';
  const ic = table(
    ['Horizon', 'IC (Pearson)', 'Rank IC', 'Pairs', ...d.bySymbol.map((s) => `Rank IC ${s.symbol}`)],
    d.signal.ic.map((x, k) => [
      `${x.horizon} bar${x.horizon === 1 ? '' : 's'}`,
      formatNumber(x.pearson, 3),
      formatNumber(x.rank, 3),
      formatInteger(x.n),
      ...d.bySymbol.map((s) => formatNumber(s.ic[k]?.rank ?? null, 3)),
    ]),
  );
  const deciles = table(
    ['Decile', 'Predictions', d.signal.kind === 'ratio' ? 'Mean predicted move' : 'Mean probability', 'Mean realised', 'Hit rate'],
    d.signal.deciles.map((r) => [
      String(r.decile),
      formatInteger(r.n),
      d.signal.kind === 'ratio' ? bp(r.meanSignal) : formatNumber(r.meanSignal, 3),
      bp(r.meanRealised),
      formatPercent(r.hitRate, 1),
    ]),
  );
  const calibration =
    d.signal.calibration === null
      ? ''
      : table(
          ['Predicted P(up)', 'Predictions', 'Mean predicted', 'Observed up'],
          d.signal.calibration.map((r) => [
            `${formatNumber(r.fromP, 1)}–${formatNumber(r.toP, 1)}`,
            formatInteger(r.n),
            formatNumber(r.meanP, 3),
            formatPercent(r.observedUp, 1),
          ]),
        );
  const signal = section(
    'signal-quality',
    'Signal quality',
    `${ic}${deciles}${calibration}`,
    'Information coefficient: correlation of each prediction with the return it forecasts, over the traded period (rank IC = Spearman). Deciles sort the first horizon’s predictions into ten equal groups; the hit rate is the share of outcomes on the predicted side.',
  );
  let timing = '';
  if (d.timing !== null) {
    const t = d.timing;
    const rows = [t.real, ...[...t.shifted].sort((a, b) => a.shift - b.shift)].map((v) => [
      v.shift === 0 ? 'real timing' : `${v.shift > 0 ? '+' : ''}${v.shift} bars`,
      formatNumber(v.sharpe),
      formatSignedPercent(v.totalReturn),
      formatInteger(v.trades),
    ]);
    timing = section(
      'timing-test',
      `Timing test: real timing ranks ${t.rank} of ${t.of} (p = ${formatNumber(t.pValue, 3)})`,
      table(['Predictions', 'Sharpe', 'Total return', 'Trades'], rows),
      'The same predictions shifted in time (+: acted on later, −: earlier), replayed through the same policy, risk engine, fills and costs. A forecast with an edge does best at its own timing; p = rank / variants (ties count against the real timing).',
    );
  }
  const tr = d.trading;
  const trading = table(
    ['Trades', 'Avg holding', 'Annual turnover', 'Time in market', 'Capital deployed', 'Fees / gross profit', 'Exits by reason'],
    [
      [
        formatInteger(tr.trades),
        tr.avgHoldingHours === null ? MISSING : `${formatNumber(tr.avgHoldingHours, 1)} h`,
        tr.annualTurnover === null ? MISSING : `${formatNumber(tr.annualTurnover, 1)}×`,
        formatPercent(tr.timeInMarket, 1),
        formatPercent(tr.avgCapitalDeployed, 1),
        formatPercent(tr.feesShareOfGrossProfit, 0),
        Object.entries(tr.exitsByReason)
          .map(([k, v]) => `${k} ${formatPercent(v, 0)}`)
          .join(', ') || MISSING,
      ],
    ],
  );
  const candidates = [
    {
      name: 'strategy',
      metrics: strategy,
      timeInMarket: tr.timeInMarket,
      avgCapitalDeployed: tr.avgCapitalDeployed,
      feesShareOfGrossProfit: tr.feesShareOfGrossProfit,
    },
    ...d.baselines,
  ];
  const baselines = table(
    ['Candidate', 'Total return', 'Sharpe', 'Max drawdown', 'Trades', 'Time in market', 'Capital deployed', 'Fees / gross profit'],
    candidates.map((c) => [
      c.name,
      formatSignedPercent(c.metrics.totalReturn),
      formatNumber(c.metrics.sharpe),
      formatPercent(c.metrics.maxDrawdown),
      formatInteger(c.metrics.trades),
      formatPercent(c.timeInMarket, 1),
      formatPercent(c.avgCapitalDeployed, 1),
      formatPercent(c.feesShareOfGrossProfit, 0),
    ]),
  );
  const versus = section(
    'baselines',
    'Trading and baselines',
    `${trading}${baselines}`,
    'Baselines trade the same markets and bars with the same fee and slippage, deciding at a close and filling at the next open, equal capital per market; “capital deployed” is the mean position value / equity, “time in market” the share of bars holding a position.',
  );
  return `${signal}${timing}${versus}`;
}
