import { PassThrough } from 'node:stream';
import { runCli } from '../../src/app/cli.js';

/** Runs one `wick` invocation in-process and collects its exit status, stdout and stderr. */
export async function runWick(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd = process.cwd(),
  signal = new AbortController().signal,
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runCli(args, { stdout, stderr, env: { WICK_LOG_LEVEL: 'error', ...env }, cwd, signal });
  return { code, out, err };
}
