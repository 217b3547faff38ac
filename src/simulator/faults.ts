/** Fault injection state shared by the REST and websocket sides of the simulator. */

export type HttpFaultStatus = 418 | 429 | 500 | 502 | 503 | 504;

export interface HttpErrorFault {
  readonly status: HttpFaultStatus;
  /** How many matching requests fail before the storm ends. */
  readonly count: number;
  /** Only requests whose path starts with this (e.g. '/api/v3/order'); all API paths when absent. */
  readonly pathPrefix?: string;
  /** Response body; by default Binance's -1003 JSON for 418/429 and a plain gateway text for 5xx. */
  readonly body?: string;
}

/**
 * What happens to an order request that the simulator accepts (the order exists and may fill):
 * 'hang' never answers, 'delay' answers after `delayMs`, 'drop' destroys the connection.
 */
export interface OrderTimeoutFault {
  readonly count?: number;
  readonly mode?: 'hang' | 'delay' | 'drop';
  readonly delayMs?: number;
}

export interface StopRejectFault {
  readonly count?: number;
  readonly code?: number;
  readonly msg?: string;
}

export interface WsStallFault {
  /** Keep answering websocket pings (a socket that is alive but silent); default true. */
  readonly answerPings?: boolean;
}

/** Everything `POST /__sim/faults` accepts, in one JSON object (each field optional). */
export interface FaultCommand {
  readonly clear?: boolean;
  readonly latencyMs?: number;
  readonly latencyPathPrefix?: string;
  readonly httpErrors?: HttpErrorFault;
  readonly orderTimeout?: OrderTimeoutFault;
  readonly partialFill?: { readonly fraction: number; readonly count?: number };
  readonly rejectNextStopOrder?: StopRejectFault | true;
  readonly clockSkewMs?: number;
  readonly dropWebSockets?: boolean;
  readonly stallWebSockets?: WsStallFault | true;
  readonly resumeWebSockets?: boolean;
}

/** The control surface for faults; every method takes effect for requests that arrive after it. */
export interface FaultControl {
  setLatency(ms: number, pathPrefix?: string): void;
  failHttp(fault: HttpErrorFault): void;
  timeoutNextOrders(fault?: OrderTimeoutFault): void;
  partialFills(fraction: number, count?: number): void;
  rejectNextStopOrder(fault?: StopRejectFault): void;
  /** Offset of the server's clock (`/api/v3/time` and the recvWindow check) from this machine's. */
  setClockSkew(ms: number): void;
  /** Abruptly closes every websocket (no close frame), as a network drop does. */
  dropWebSockets(): void;
  /** Keeps sockets open but sends nothing until resumed. */
  stallWebSockets(fault?: WsStallFault): void;
  resumeWebSockets(): void;
  /** Ends every fault: latency 0, no storms, no skew, websockets resumed. */
  clear(): void;
  apply(command: FaultCommand): void;
}

/** Mutable fault state; read by the request handlers. */
export class FaultState {
  latencyMs = 0;
  latencyPathPrefix: string | undefined;
  httpErrors: { fault: HttpErrorFault; remaining: number } | undefined;
  orderTimeout: { mode: 'hang' | 'delay' | 'drop'; delayMs: number; remaining: number } | undefined;
  stopReject: { code: number; msg: string; remaining: number } | undefined;
  clockSkewMs = 0;

  reset(): void {
    this.latencyMs = 0;
    this.latencyPathPrefix = undefined;
    this.httpErrors = undefined;
    this.orderTimeout = undefined;
    this.stopReject = undefined;
    this.clockSkewMs = 0;
  }

  /** The HTTP error to answer this request with, if a storm is on (consumes one). */
  takeHttpError(path: string): HttpErrorFault | undefined {
    const storm = this.httpErrors;
    if (storm === undefined) return undefined;
    if (storm.fault.pathPrefix !== undefined && !path.startsWith(storm.fault.pathPrefix)) return undefined;
    storm.remaining -= 1;
    if (storm.remaining <= 0) this.httpErrors = undefined;
    return storm.fault;
  }

  takeOrderTimeout(): { mode: 'hang' | 'delay' | 'drop'; delayMs: number } | undefined {
    const t = this.orderTimeout;
    if (t === undefined) return undefined;
    t.remaining -= 1;
    if (t.remaining <= 0) this.orderTimeout = undefined;
    return t;
  }

  takeStopReject(): { code: number; msg: string } | undefined {
    const r = this.stopReject;
    if (r === undefined) return undefined;
    r.remaining -= 1;
    if (r.remaining <= 0) this.stopReject = undefined;
    return r;
  }
}
