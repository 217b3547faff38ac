import { ConfigError } from '../core/errors.js';
import type { StreamingIndicator } from './indicator.js';
import { Atr } from './indicators/atr.js';
import { Bollinger } from './indicators/bollinger.js';
import { Ema } from './indicators/ema.js';
import { Macd } from './indicators/macd.js';
import { CloseRatio, LogReturn } from './indicators/price-change.js';
import { RelativeToClose } from './indicators/relative.js';
import { Rsi } from './indicators/rsi.js';
import { Sma } from './indicators/sma.js';
import { LogReturnVolatility } from './indicators/volatility.js';
import { VolumeZScore } from './indicators/volume-zscore.js';
import { VwapDeviation } from './indicators/vwap.js';
import type { FeatureDef, FeatureSpec } from './spec.js';

type Params = Readonly<Record<string, number>>;

interface KindEntry {
  /** Every param is required, so a spec (and its hash) says everything it computes. */
  readonly params: readonly string[];
  readonly create: (p: Params) => StreamingIndicator;
}

const PERIOD = ['period'];
const MACD_PARAMS = ['fast', 'slow', 'signal'];
const BB_PARAMS = ['period', 'k'];

const n = (p: Params, key: string): number => p[key]!;

const KINDS: Readonly<Record<string, KindEntry>> = {
  ratio: { params: [], create: () => new CloseRatio() },
  logret: { params: [], create: () => new LogReturn() },
  sma: { params: PERIOD, create: (p) => new Sma(n(p, 'period')) },
  ema: { params: PERIOD, create: (p) => new Ema(n(p, 'period')) },
  rsi: { params: PERIOD, create: (p) => new Rsi(n(p, 'period')) },
  macd: { params: MACD_PARAMS, create: (p) => macd(p, 'line') },
  macd_signal: { params: MACD_PARAMS, create: (p) => macd(p, 'signal') },
  macd_hist: { params: MACD_PARAMS, create: (p) => macd(p, 'hist') },
  macd_rel: { params: MACD_PARAMS, create: (p) => new RelativeToClose(macd(p, 'line')) },
  macd_signal_rel: { params: MACD_PARAMS, create: (p) => new RelativeToClose(macd(p, 'signal')) },
  macd_hist_rel: { params: MACD_PARAMS, create: (p) => new RelativeToClose(macd(p, 'hist')) },
  atr: { params: PERIOD, create: (p) => new Atr(n(p, 'period')) },
  atr_rel: { params: PERIOD, create: (p) => new RelativeToClose(new Atr(n(p, 'period'))) },
  bb_pctb: { params: BB_PARAMS, create: (p) => new Bollinger(n(p, 'period'), n(p, 'k'), 'pctb') },
  bb_width: { params: BB_PARAMS, create: (p) => new Bollinger(n(p, 'period'), n(p, 'k'), 'width') },
  vol: { params: PERIOD, create: (p) => new LogReturnVolatility(n(p, 'period')) },
  volz: { params: PERIOD, create: (p) => new VolumeZScore(n(p, 'period')) },
  vwap_dev: { params: PERIOD, create: (p) => new VwapDeviation(n(p, 'period')) },
};

function macd(p: Params, output: 'line' | 'signal' | 'hist'): Macd {
  return new Macd(n(p, 'fast'), n(p, 'slow'), n(p, 'signal'), output);
}

export const FEATURE_KINDS: readonly string[] = Object.freeze(Object.keys(KINDS));

/** Builds the indicator for one feature; throws ConfigError on an unknown kind or bad params. */
export function createIndicator(f: FeatureDef): StreamingIndicator {
  const entry = Object.hasOwn(KINDS, f.kind) ? KINDS[f.kind] : undefined;
  if (!entry) throw new ConfigError(`feature "${f.id}": unknown kind "${f.kind}"; known kinds: ${FEATURE_KINDS.join(', ')}`);
  for (const key of Object.keys(f.params)) {
    if (!entry.params.includes(key)) throw new ConfigError(`feature "${f.id}": unknown param "${key}" for kind ${f.kind}`);
  }
  for (const key of entry.params) {
    const v = f.params[key];
    if (v === undefined) throw new ConfigError(`feature "${f.id}": missing param "${key}"`);
    const ok = key === 'k' ? Number.isFinite(v) && v > 0 : Number.isInteger(v) && v >= (key === 'period' && f.kind === 'vol' ? 2 : 1) && v <= 100_000;
    if (!ok) throw new ConfigError(`feature "${f.id}": param ${key} = ${v} is out of range`);
  }
  return entry.create(f.params);
}

/** Checks a spec: at least one feature, unique ids, every feature constructible. */
export function validateSpec(s: FeatureSpec): void {
  if (s.features.length === 0) throw new ConfigError(`feature spec "${s.name}" has no features`);
  const seen = new Set<string>();
  for (const f of s.features) {
    if (seen.has(f.id)) throw new ConfigError(`feature spec "${s.name}": duplicate id "${f.id}"`);
    seen.add(f.id);
    createIndicator(f);
  }
}
