import { barsPerYear, type MarketRules, type SignalModelInfo } from '../core/index.js';
import type { FillModelConfig, OrderManagerConfig, RiskConfig, StopConfig } from '../execution/index.js';
import { HorizonAveragingPolicy, ThresholdHysteresisPolicy, type Policy } from '../strategy/index.js';
import type { Config } from './config/load-config.js';
import { calibratedLevel, costAwareEntryFloor, type PolicyCalibration } from '../backtest/policy-calibration.js';

/**
 * The trading components' settings, derived from the configuration in ONE place, so that backtest,
 * replay, paper and live trade by exactly the same rules (the parity test depends on it).
 */
export function policyFor(model: Pick<SignalModelInfo, 'target'>, config: Config, calibration?: PolicyCalibration): Policy {
  const s = config.strategy;
  const levels = policyLevelsFor(config, calibration);
  if (model.target === 'ratio') {
    if (levels !== null) return new HorizonAveragingPolicy({ threshold: 0, scale: s.fullPositionMove, cap: s.maxPositionFraction, levels });
    return new HorizonAveragingPolicy({ threshold: s.entryThreshold, exitThreshold: s.exitThreshold, scale: s.fullPositionMove, cap: s.maxPositionFraction });
  }
  if (levels !== null)
    return new ThresholdHysteresisPolicy({
      pEnter: Math.min(1, levels.entry),
      pExit: Math.max(0, Math.min(levels.exit, Math.min(1, levels.entry) - 1e-9)),
      targetFraction: s.maxPositionFraction,
    });
  return new ThresholdHysteresisPolicy({ pEnter: s.enterProbability, pExit: s.exitProbability, targetFraction: s.maxPositionFraction });
}

/**
 * Calibrated entry and exit levels of the policy statistic: the configured quantiles of the
 * model's validation values, the entry raised to the cost-aware floor when asked (Infinity: the
 * calibrated expected move never pays the round trip). null = fixed thresholds (asked for, or the
 * model carries no calibration).
 */
export function policyLevelsFor(config: Config, calibration: PolicyCalibration | undefined): { entry: number; exit: number } | null {
  const s = config.strategy;
  if (s.thresholds !== 'calibrated' || calibration === undefined) return null;
  let entry = calibratedLevel(calibration, s.entryQuantile);
  const exit = calibratedLevel(calibration, s.exitQuantile);
  if (s.costAware) entry = Math.max(entry, costAwareEntryFloor(calibration, (2 * (config.paper.feeBps + config.paper.slippageBps)) / 10_000));
  // a flat validation distribution can put both quantiles on one value: keep the exit below the entry
  return { entry, exit: exit < entry ? exit : entry - Math.max(1e-12, Math.abs(entry) * 1e-12) };
}

/** One line that says which thresholds trade (for reports and logs). */
export function describePolicy(config: Config, calibration: PolicyCalibration | undefined): string {
  const levels = policyLevelsFor(config, calibration);
  const s = config.strategy;
  if (levels === null)
    return `fixed thresholds (entry ${s.entryThreshold}, exit ${s.exitThreshold}; probabilities ${s.enterProbability}/${s.exitProbability})${s.thresholds === 'calibrated' ? ': the model carries no calibration' : ''}`;
  return `calibrated on validation: enter above q${s.entryQuantile} = ${levels.entry.toPrecision(6)}${s.costAware ? ' (cost-aware)' : ''}, exit below q${s.exitQuantile} = ${levels.exit.toPrecision(6)}`;
}

export function stopConfigFor(config: Config): StopConfig {
  const r = config.risk;
  return {
    stopLoss: { kind: 'pct', pct: r.stopLossPct },
    ...(r.takeProfitPct !== undefined ? { takeProfit: { kind: 'pct' as const, pct: r.takeProfitPct } } : {}),
    ...(r.trailingStopPct !== undefined ? { trailing: { kind: 'pct' as const, pct: r.trailingStopPct } } : {}),
  };
}

export function orderManagerConfigFor(config: Config, account: string, initialCashQuote: number = config.paper.initialEquityQuote): OrderManagerConfig {
  return {
    account,
    initialCashQuote,
    sizing: {
      mode:
        config.strategy.sizing === 'vol_target'
          ? { kind: 'annual_volatility_target', targetAnnualVol: config.strategy.targetAnnualVol, barsPerYear: barsPerYear(config.market.timeframe) }
          : { kind: 'proportional' },
      maxFraction: config.strategy.maxPositionFraction,
      maxNotionalQuote: config.risk.maxPositionNotionalQuote,
    },
    stops: stopConfigFor(config),
  };
}

export function riskConfigFor(config: Config, equityQuote: number = config.paper.initialEquityQuote): RiskConfig {
  const r = config.risk;
  return {
    maxNotionalPerSymbolQuote: r.maxPositionNotionalQuote,
    maxTotalExposureQuote: r.maxTotalExposure * equityQuote,
    maxOpenPositions: r.maxOpenPositions,
    maxOrdersPerMinute: r.maxOrdersPerMinute,
    dailyLossLimitFraction: r.dailyLossLimit,
    maxDrawdownFraction: r.maxDrawdown,
    cooldownAfterStopMs: r.stopCooldownMs,
  };
}

export function fillModelFor(config: Config, overrides: { feeBps?: number | undefined; slippageBps?: number | undefined } = {}): FillModelConfig {
  const fee = overrides.feeBps ?? config.paper.feeBps;
  return { slippageBps: overrides.slippageBps ?? config.paper.slippageBps, takerFeeBps: fee, makerFeeBps: fee };
}

/**
 * Market rules for simulated trading when no exchange is asked (backtests, replays): Binance-like
 * spot limits (0.01 tick, 0.00001 step, 5 quote minimum notional). Paper trading against a live
 * exchange uses that exchange's own rules instead.
 */
export function simulatedMarketRules(symbols: readonly string[]): Record<string, MarketRules> {
  return Object.fromEntries(symbols.map((symbol) => [symbol, { symbol, tickSize: 0.01, stepSize: 0.00001, minQtyBase: 0.00001, minNotionalQuote: 5 }]));
}

/**
 * The most of its equity the strategy can hold across `markets` markets: one position per market
 * of at most the position cap, within the total exposure limit. The baselines "at the strategy's
 * exposure cap" hold this much.
 */
export function exposureCapFor(config: Config, markets: number): number {
  return Math.min(1, config.strategy.maxPositionFraction * markets, config.risk.maxTotalExposure);
}
