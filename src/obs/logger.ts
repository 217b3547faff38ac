import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import { makeLineScrubber } from './redact.js';

export interface LoggerOptions {
  readonly level: string;
  /** auto: pretty when `isTty`, JSON otherwise. */
  readonly format: 'auto' | 'json' | 'pretty';
  /** Secret values to scrub from every line (API key, secret, tokens). */
  readonly secrets: readonly (string | undefined)[];
  /** Where lines go; stdout by default. */
  readonly destination?: NodeJS.WritableStream;
  readonly isTty?: boolean;
}

/** The one pino root of a process. Components take `root.child({ component: 'risk', symbol })`. */
export function createLogger(options: LoggerOptions): PinoLogger {
  const destination = options.destination ?? process.stdout;
  const isTty = options.isTty ?? Boolean((destination as { isTTY?: boolean }).isTTY);
  const usePretty = options.format === 'pretty' || (options.format === 'auto' && isTty);
  const scrub = makeLineScrubber(options.secrets);
  const stream: DestinationStream = usePretty
    ? pretty({ destination, colorize: isTty, translateTime: 'SYS:standard', ignore: 'pid,hostname', sync: true })
    : (destination as DestinationStream);
  return pino(
    {
      level: options.level,
      base: { app: 'wick' },
      serializers: { err: pino.stdSerializers.errWithCause, error: pino.stdSerializers.errWithCause },
      hooks: { streamWrite: scrub },
    },
    stream,
  );
}
