export * from './ccxt-broker.js';
export * from './ccxt-payloads.js';
export * from './classify-exchange-error.js';
export * from './exchange-like.js';
export * from './rate-budget.js';
