import type { CliCommand } from '../command.js';
import { notBuilt } from './not-built.js';
import { command as backtest } from './backtest.js';
import { command as bench } from './bench.js';
import { command as features } from './features.js';
import { command as fetch } from './fetch.js';
import { command as replay } from './replay.js';
import { command as train } from './train.js';

/** Every `wick` command, in the order `wick --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  notBuilt(
    'paper',
    'Paper-trade live market data: real candles, simulated fills, state in Redis',
    'Usage: wick paper [--role all|ingest|signal|trader]\n\nRuns the daemon against the configured exchange\'s live candles (public data, no keys needed) with the paper broker.\nConfiguration comes from the environment (see config/.env.example).',
  ),
  notBuilt(
    'live',
    'Trade real money (needs WICK_MODE=live, keys and WICK_LIVE_CONFIRM)',
    'Usage: wick live [--role all|ingest|signal|trader]\n\nRuns the daemon with real orders through ccxt. Refuses to start unless WICK_MODE=live, WICK_API_KEY,\nWICK_API_SECRET and WICK_LIVE_CONFIRM are set. Run `wick doctor` first.',
  ),
  replay,
  backtest,
  train,
  features,
  fetch,
  notBuilt(
    'doctor',
    'Check Redis, the model, the execution provider, the exchange, clock skew and API-key permissions',
    'Usage: wick doctor',
  ),
  bench,
];
