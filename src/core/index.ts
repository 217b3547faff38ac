export * from './candle.js';
export * from './clock.js';
export * from './errors.js';
export * from './logger.js';
export * from './ports.js';
export * from './rng.js';
export * from './trading.js';
export type * from './kernel-events.js';
