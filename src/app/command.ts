import type { Writable } from 'node:stream';

/** What a CLI command gets from the process: streams and environment, injectable for tests. */
export interface CliContext {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on SIGINT/SIGTERM: long commands stop after the current step and keep what they have. */
  readonly signal: AbortSignal;
}

/**
 * One `wick <name>` command. `run` returns the process exit status:
 * 0 success, 1 runtime failure, 2 bad input or configuration (with a message saying what and how to fix).
 */
export interface CliCommand {
  readonly name: string;
  /** One line for `wick --help` (a lazily loaded command has it in its registry entry instead). */
  readonly summary?: string;
  /** Full text for `wick <name> --help`: usage line, every option with its default, an example. */
  readonly help: string;
  run(args: readonly string[], ctx: CliContext): Promise<number>;
}

/**
 * A command that `wick --help` lists without loading its module: the module, and what it imports
 * (ccxt alone takes seconds to load), is imported only when the command runs or shows its help.
 */
export interface LazyCliCommand {
  readonly name: string;
  readonly summary: string;
  load(): Promise<CliCommand>;
}

export type CommandEntry = CliCommand | LazyCliCommand;

/** Thrown by argument parsing: printed with the command's usage, exit status 2. */
export class UsageError extends Error {}
