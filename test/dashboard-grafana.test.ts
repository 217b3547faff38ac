import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/obs/metrics.js';

/**
 * The Grafana dashboard and Prometheus config of docker/compose.monitoring.yaml must query metrics
 * that wick actually exports: every `wick_*` name in the dashboard JSON is checked against the
 * exposition of createMetrics() (src/obs/metrics.ts), so a renamed metric breaks this test, not a
 * panel nobody looks at. (compose.test.ts validates the compose file itself.)
 */
const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const dashboardText = read('docker/monitoring/grafana/dashboards/wick.json');

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid: string };
  readonly targets?: readonly { readonly expr: string }[];
}

async function exportedNames(): Promise<Set<string>> {
  const m = createMetrics();
  // histograms and labelled series appear in the exposition only once observed
  m.queueWaitSeconds.observe({ queue: 'candles' }, 0.001);
  m.inferenceLatencySeconds.observe({ provider: 'cpu' }, 0.001);
  m.pipelineLatencySeconds.observe({ stage: 'total' }, 0.001);
  m.stepSeconds.observe({ step: 'signal' }, 0.001);
  const text = await m.text();
  const names = new Set([...text.matchAll(/^([a-z_:][a-z0-9_:]*)(?:\{| )/gm)].map((match) => match[1] as string));
  // labelled series with no sample yet still declare themselves: # TYPE <name> <type>
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (name === undefined) continue;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

describe('Grafana dashboard for wick', () => {
  const dashboard = JSON.parse(dashboardText) as { uid: string; panels: readonly Panel[] };

  it('queries only metrics that wick exports', async () => {
    const exported = await exportedNames();
    const used = new Set([...dashboardText.matchAll(/\bwick_[a-z0-9_]+/g)].map((m) => m[0]));
    expect(used.size).toBeGreaterThan(10);
    const unknown = [...used].filter((name) => !exported.has(name));
    expect(unknown).toEqual([]);
  });

  it('shows equity, positions, candle/intent/order rates, errors and the latency histograms', () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const name of [
      'wick_equity_quote',
      'wick_position_notional_quote',
      'wick_candles_received_total',
      'wick_intents_total',
      'wick_orders_total',
      'wick_errors_total',
    ]) {
      expect(exprs).toContain(name);
    }
    for (const histogram of ['wick_queue_wait_seconds', 'wick_inference_latency_seconds', 'wick_pipeline_latency_seconds']) {
      expect(exprs).toMatch(new RegExp(`histogram_quantile\\(0\\.95, sum by \\(le, \\w+\\) \\(rate\\(${histogram}_bucket`));
    }
  });

  it('uses the provisioned Prometheus datasource, which points at the compose service', () => {
    const datasource = read('docker/monitoring/grafana/provisioning/datasources/prometheus.yaml');
    const uid = /uid: (\S+)/.exec(datasource)?.[1];
    expect(uid).toBe('wick-prometheus');
    expect(datasource).toContain('url: http://prometheus:9090');
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) expect(panel.datasource?.uid, panel.title).toBe(uid);
    const ids = dashboard.panels.map((p) => (p as unknown as { id: number }).id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('Prometheus scrapes wick:8080/metrics; the override runs both services under the monitoring profile', () => {
    expect(read('docker/monitoring/prometheus/prometheus.yml')).toMatch(/metrics_path: \/metrics[\s\S]*targets: \["wick:8080"\]/);
    const compose = read('docker/compose.monitoring.yaml');
    expect(compose.match(/profiles: \["monitoring"\]/g)).toHaveLength(2);
    expect(compose).toContain('/var/lib/grafana/dashboards/wick');
    expect(compose).not.toMatch(/"(?:0\.0\.0\.0:)?(?:3000|9090):/); // loopback only
  });
});
