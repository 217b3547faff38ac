import type { CliCommand } from '../command.js';
import { command as backtest } from './backtest.js';
import { command as bench } from './bench.js';
import { command as doctor } from './doctor.js';
import { command as features } from './features.js';
import { command as fetch } from './fetch.js';
import { command as live } from './live.js';
import { command as model } from './model.js';
import { command as paper } from './paper.js';
import { command as replay } from './replay.js';
import { command as train } from './train.js';
import { command as tune } from './tune.js';

/** Every `wick` command, in the order `wick --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  paper,
  live,
  replay,
  backtest,
  train,
  tune,
  model,
  features,
  fetch,
  doctor,
  bench,
];
