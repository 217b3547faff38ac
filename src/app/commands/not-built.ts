import type { CliCommand } from '../command.js';

/**
 * A command whose implementation has not landed yet. It still has real help text (what it will do)
 * and fails plainly, so nobody mistakes it for a command that ran.
 */
export function notBuilt(name: string, summary: string, help: string): CliCommand {
  return {
    name,
    summary: `${summary} (not built yet)`,
    help: `${help}\n\nStatus: not built yet in this version of wick.`,
    run(_args, ctx) {
      ctx.stderr.write(`wick ${name}: this command is not built yet in this version of wick. See README ("Status") for what works today.\n`);
      return Promise.resolve(1);
    },
  };
}
