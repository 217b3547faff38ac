#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { config as loadDotenv } from 'dotenv';
import { ConfigError, DataError, ModelMismatchError } from '../core/errors.js';
import { UsageError, type CliCommand, type CliContext, type CommandEntry } from './command.js';
import { COMMANDS } from './commands/index.js';
import { version } from './version.js';

function mainHelp(commands: readonly CommandEntry[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'wick — a crypto trading daemon: exchange candles → features → LSTM (ONNX) → risk-checked orders.',
    '',
    'Usage: wick <command> [options]        wick <command> --help',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary ?? ''}`),
    '',
    'Options: --help, --version',
    'Configuration: environment variables or a .env file in the working directory (see config/.env.example).',
    '',
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit status. Exceptions become messages, never stack dumps for input errors. */
export async function runCli(argv: readonly string[], ctx: CliContext, commands: readonly CommandEntry[] = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(mainHelp(commands));
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    ctx.stdout.write(`${version()}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    ctx.stderr.write(`wick: unknown command "${name}". Run \`wick --help\` for the list.\n`);
    return 2;
  }
  const command: CliCommand = 'load' in entry ? await entry.load() : entry;
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest, ctx);
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.stderr.write(`wick ${name}: ${error.message}\n\n${command.help}\n`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof DataError || error instanceof ModelMismatchError) {
      ctx.stderr.write(`wick ${name}: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    ctx.stderr.write(`wick ${name}: failed: ${message}\n`);
    return 1;
  }
}

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  const controller = new AbortController();
  let interrupts = 0;
  const shutdownS = shutdownTimeoutSeconds(process.env);
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts += 1;
    if (interrupts > 1) {
      process.stderr.write(`wick: second ${sig}: exiting now\n`);
      process.exit(130);
    }
    process.stderr.write(`\nwick: ${sig} received, stopping after the current step (at most ${shutdownS} s; again to force)...\n`);
    controller.abort(sig);
    // Bounded in every state (Redis down, exchange down, mid-reconciliation): a stop that hangs is cut.
    setTimeout(() => {
      process.stderr.write(`wick: still stopping after ${shutdownS} s (WICK_SHUTDOWN_TIMEOUT_SECONDS); exiting now\n`);
      process.exit(1);
    }, shutdownS * 1000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  });
  process.exitCode = code;
  // The command is over: a handle someone forgot (a socket, a timer) must not keep a daemon alive.
  setTimeout(() => {
    process.stderr.write('wick: resources still open 5 s after the command ended; exiting\n');
    process.exit(code);
  }, 5_000).unref();
}

/** WICK_SHUTDOWN_TIMEOUT_SECONDS (default 30): the longest a stop may take after SIGINT/SIGTERM. */
export function shutdownTimeoutSeconds(env: Readonly<Record<string, string | undefined>>): number {
  const raw = Number(env['WICK_SHUTDOWN_TIMEOUT_SECONDS'] ?? '');
  return Number.isFinite(raw) && raw >= 1 && raw <= 600 ? raw : 30;
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) void main();
