export { CandleStore, type AppendResult, type CandleStoreOptions, type StoredCandle } from './candle-store.js';
export type { PublishResult } from './ingest.js';
export { CANDLES_QUEUE, INTENTS_QUEUE, anyDecisionJobSchema, candleJobId, decisionBatchJobSchema, decisionJobId } from './jobs.js';
export { rolesFor, startPipeline, type Pipeline, type PipelineHealth, type PipelineOptions } from './pipeline.js';
export { createRedisConnection, closeRedis, deleteKeysWithPrefix, PipelineKeys } from './redis.js';
export {
  intentAction,
  noopPipelineMetrics,
  type CandleStoreReader,
  type PipelineMetrics,
  type PipelineRole,
  type SignalContext,
  type SignalDecision,
  type SignalStep,
  type TraderStep,
} from './types.js';
export { workerSettingsSchema, type WorkerSettings, type WorkerSettingsInput } from './worker-settings.js';
export { ModelSwitchBoard, modelAt, type ModelSwitch } from './model-switch.js';
export { AccountStore, type AccountRedis, type TradePage } from './account-store.js';
