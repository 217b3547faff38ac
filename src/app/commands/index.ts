import type { CliCommand, CommandEntry } from '../command.js';

/**
 * Every `wick` command, in the order `wick --help` lists them. Each module is imported only when
 * its command runs or prints its help, so `wick --help` and a light command never load ccxt,
 * bullmq or onnxruntime.
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'paper',
    summary: 'Paper-trade live market data: real candles, simulated fills, Redis-queued pipeline',
    load: async (): Promise<CliCommand> => (await import('./paper.js')).command,
  },
  {
    name: 'live',
    summary: 'Trade real money (needs WICK_MODE=live, keys and WICK_LIVE_CONFIRM)',
    load: async (): Promise<CliCommand> => (await import('./live.js')).command,
  },
  {
    name: 'replay',
    summary: 'Feed candle CSVs through the full daemon pipeline (Redis queues, workers), paper-trading',
    load: async (): Promise<CliCommand> => (await import('./replay.js')).command,
  },
  {
    name: 'trades',
    summary: 'Export the trade history of the paper or live account (--json or --csv)',
    load: async (): Promise<CliCommand> => (await import('./trades.js')).command,
  },
  {
    name: 'backtest',
    summary: 'Backtest a model on candle files, out of sample, with fees and slippage',
    load: async (): Promise<CliCommand> => (await import('./backtest.js')).command,
  },
  {
    name: 'train',
    summary: 'Train the LSTM on candle files and export it to ONNX',
    load: async (): Promise<CliCommand> => (await import('./train.js')).command,
  },
  {
    name: 'tune',
    summary: 'Search model and policy settings, judged on validation, every trial reported',
    load: async (): Promise<CliCommand> => (await import('./tune.js')).command,
  },
  {
    name: 'model',
    summary: 'Import an ONNX model; list, show, promote and roll back registered models',
    load: async (): Promise<CliCommand> => (await import('./model.js')).command,
  },
  {
    name: 'features',
    summary: 'compute a feature spec over a candle CSV and write the raw features as CSV',
    load: async (): Promise<CliCommand> => (await import('./features.js')).command,
  },
  {
    name: 'fetch',
    summary: 'Download historical candles through ccxt into a CSV (resumable)',
    load: async (): Promise<CliCommand> => (await import('./fetch.js')).command,
  },
  {
    name: 'doctor',
    summary: 'Check Redis, the model, the execution provider, the exchange, clock skew and API-key permissions',
    load: async (): Promise<CliCommand> => (await import('./doctor.js')).command,
  },
  { name: 'bench', summary: 'Run the benchmarks and print one JSON line', load: async (): Promise<CliCommand> => (await import('./bench.js')).command },
];
