export * from './broker-feed.js';
export * from './events.js';
export * from './trading-kernel.js';
