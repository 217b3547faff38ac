import type { MarketRules, SignalModelInfo } from '../core/index.js';
import type { FillModelConfig, OrderManagerConfig, RiskConfig, StopConfig } from '../execution/index.js';
import { HorizonAveragingPolicy, ThresholdHysteresisPolicy, type Policy } from '../strategy/index.js';
import type { Config } from './config/load-config.js';

/**
 * The trading components' settings, derived from the configuration in ONE place, so that backtest,
 * replay, paper and live trade by exactly the same rules (the parity test depends on it).
 */
export function policyFor(model: Pick<SignalModelInfo, 'target'>, config: Config): Policy {
  const s = config.strategy;
  if (model.target === 'ratio') {
    return new HorizonAveragingPolicy({ threshold: s.entryThreshold, exitThreshold: s.exitThreshold, scale: s.fullPositionMove, cap: s.maxPositionFraction });
  }
  return new ThresholdHysteresisPolicy({ pEnter: s.enterProbability, pExit: s.exitProbability, targetFraction: s.maxPositionFraction });
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
    sizing: { mode: { kind: 'proportional' }, maxFraction: config.strategy.maxPositionFraction, maxNotionalQuote: config.risk.maxPositionNotionalQuote },
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
