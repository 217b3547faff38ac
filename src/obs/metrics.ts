import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets from 0.25 ms to 10 s: the pipeline aims at single-digit milliseconds. */
export const LATENCY_BUCKETS_SECONDS = [0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Queue waits can be long (backlog after an outage). */
const WAIT_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15, 60, 300];

/**
 * Every metric of wick, on one Registry of its own (never prom-client's global one), created once by
 * src/app and injected where it is written. Structurally it satisfies the pipeline's PipelineMetrics
 * port, so src/pipeline needs no import of src/obs.
 */
export interface WickMetrics {
  readonly registry: Registry;
  /** Closed candles handed to the ingest, by series. */
  readonly candlesReceived: Counter<'series'>;
  /** Candles handed to the signal step, by series. */
  readonly candlesProcessed: Counter<'series'>;
  /** Candles not processed, by series and reason (malformed, covered, late, invalid, ...). */
  readonly candlesRejected: Counter<'series' | 'reason'>;
  /** Job enqueued → picked by a worker, by queue (candles, intents). */
  readonly queueWaitSeconds: Histogram<'queue'>;
  /** One model forward pass, by execution provider. */
  readonly inferenceLatencySeconds: Histogram<'provider'>;
  /** Intents decided, by action (long, short, flat). */
  readonly intentsTotal: Counter<'action'>;
  /** Order status transitions, by status. */
  readonly ordersTotal: Counter<'status'>;
  readonly positionQtyBase: Gauge<'symbol'>;
  readonly positionNotionalQuote: Gauge<'symbol'>;
  readonly equityQuote: Gauge;
  /** Errors by stable code (WickError codes, pipeline codes). */
  readonly errorsTotal: Counter<'code'>;
  /** Candle received by the ingest → TraderStep called, by stage. */
  readonly pipelineLatencySeconds: Histogram<'stage'>;
  /** Duration of one domain step (signal, trader). */
  readonly stepSeconds: Histogram<'step'>;
  /** Decisions (predictions) by the model that made them. */
  readonly decisionsTotal: Counter<'series' | 'model'>;
  /** Input-drift score of the latest window (RMS z-score against the training data) and its threshold. */
  readonly inputDriftScore: Gauge<'series'>;
  readonly inputDriftThreshold: Gauge<'series'>;
  /** Entry intents withheld by the input-drift guard. */
  readonly driftBlockedEntriesTotal: Counter<'series'>;
  /** Live predictions' moving mean, in validation-σ units from the validation mean, per horizon. */
  readonly predictionDrift: Gauge<'series' | 'horizon'>;
  /** The Prometheus text exposition of the registry. */
  text(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  /** Prefix of every metric name. */
  readonly prefix?: string;
  /** Process metrics (CPU, memory, event loop lag, GC). */
  readonly defaultMetrics?: boolean;
  /** Labels on every series, e.g. { instance: 'signal-2' }. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

export function createMetrics(options: MetricsOptions = {}): WickMetrics {
  const p = options.prefix ?? 'wick_';
  const registry = new Registry();
  if (options.defaultLabels !== undefined) registry.setDefaultLabels({ ...options.defaultLabels });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: p });
  const registers = [registry];
  return Object.freeze({
    registry,
    candlesReceived: new Counter({
      name: `${p}candles_received_total`,
      help: 'Closed candles received by the ingest.',
      labelNames: ['series'] as const,
      registers,
    }),
    candlesProcessed: new Counter({
      name: `${p}candles_processed_total`,
      help: 'Candles handed to the signal step.',
      labelNames: ['series'] as const,
      registers,
    }),
    candlesRejected: new Counter({
      name: `${p}candles_rejected_total`,
      help: 'Candles not processed, by reason.',
      labelNames: ['series', 'reason'] as const,
      registers,
    }),
    queueWaitSeconds: new Histogram({
      name: `${p}queue_wait_seconds`,
      help: 'Time a job waited in its queue.',
      labelNames: ['queue'] as const,
      buckets: WAIT_BUCKETS_SECONDS,
      registers,
    }),
    inferenceLatencySeconds: new Histogram({
      name: `${p}inference_latency_seconds`,
      help: 'Model inference time per call.',
      labelNames: ['provider'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    intentsTotal: new Counter({ name: `${p}intents_total`, help: 'Order intents decided, by action.', labelNames: ['action'] as const, registers }),
    ordersTotal: new Counter({ name: `${p}orders_total`, help: 'Orders by status reached.', labelNames: ['status'] as const, registers }),
    positionQtyBase: new Gauge({ name: `${p}position_qty_base`, help: 'Signed position size, base currency.', labelNames: ['symbol'] as const, registers }),
    positionNotionalQuote: new Gauge({
      name: `${p}position_notional_quote`,
      help: 'Position value at the last price, quote currency.',
      labelNames: ['symbol'] as const,
      registers,
    }),
    equityQuote: new Gauge({ name: `${p}equity_quote`, help: 'Account equity, quote currency.', registers }),
    errorsTotal: new Counter({ name: `${p}errors_total`, help: 'Errors by stable code.', labelNames: ['code'] as const, registers }),
    pipelineLatencySeconds: new Histogram({
      name: `${p}pipeline_latency_seconds`,
      help: 'Candle received by the ingest until the trader step starts.',
      labelNames: ['stage'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    decisionsTotal: new Counter({
      name: `${p}decisions_total`,
      help: 'Candles decided, by series and the model that decided them.',
      labelNames: ['series', 'model'] as const,
      registers,
    }),
    inputDriftScore: new Gauge({
      name: `${p}input_drift_score`,
      help: 'Dissimilarity of the latest feature window to the training data (RMS z-score).',
      labelNames: ['series'] as const,
      registers,
    }),
    inputDriftThreshold: new Gauge({
      name: `${p}input_drift_threshold`,
      help: 'Input-drift threshold calibrated on the validation split.',
      labelNames: ['series'] as const,
      registers,
    }),
    driftBlockedEntriesTotal: new Counter({
      name: `${p}drift_blocked_entries_total`,
      help: 'Entry intents withheld because the inputs drifted from the training data.',
      labelNames: ['series'] as const,
      registers,
    }),
    predictionDrift: new Gauge({
      name: `${p}prediction_drift`,
      help: 'Moving mean of live predictions in validation standard deviations from the validation mean.',
      labelNames: ['series', 'horizon'] as const,
      registers,
    }),
    stepSeconds: new Histogram({
      name: `${p}step_seconds`,
      help: 'Duration of one domain step.',
      labelNames: ['step'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    text: () => registry.metrics(),
    contentType: registry.contentType,
  });
}
