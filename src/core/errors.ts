/**
 * Errors with stable codes. Expected outcomes (a denied order, a rejected candle) are values, not
 * errors; these classes are for broken invariants and for failures the caller must act on. Each
 * class is named for what the caller must do next.
 */
export abstract class WickError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value is missing or wrong; the process exits with status 2. */
export class ConfigError extends WickError {
  readonly code = 'CONFIG_INVALID';
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Input data (a candle file, a payload) violates its format. Names where and why. */
export class DataError extends WickError {
  readonly code = 'DATA_INVALID';
  constructor(
    readonly reason: string,
    readonly location: { readonly file?: string; readonly line?: number; readonly column?: string } = {},
  ) {
    const where = [
      location.file,
      location.line !== undefined ? `line ${location.line}` : undefined,
      location.column !== undefined ? `column ${location.column}` : undefined,
    ]
      .filter((p) => p !== undefined)
      .join(', ');
    super(where ? `${where}: ${reason}` : reason);
  }
}

/** Something that must never happen happened (NaN price, time going backwards): stop loudly. */
export class InvariantError extends WickError {
  readonly code = 'INVARIANT_BROKEN';
}

/** A model folder does not fit this build (wrong feature spec, wrong shape, corrupt file). */
export class ModelMismatchError extends WickError {
  readonly code = 'MODEL_MISMATCH';
}

/** A command or feature exists in the CLI but is not built yet. */
export class NotImplementedError extends WickError {
  readonly code = 'NOT_IMPLEMENTED';
}

/**
 * Exchange failures, classified once at the broker boundary (see DESIGN "Conventions"):
 * retry with the same client order id, reconcile (outcome unknown), deny, or stop trading.
 */
export type ExchangeErrorAction = 'retry' | 'reconcile' | 'deny' | 'stop';

export class ExchangeError extends WickError {
  readonly code: string;
  constructor(
    readonly action: ExchangeErrorAction,
    code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
  }
}
