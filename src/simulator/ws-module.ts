import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

/**
 * The slice of the `ws` package the simulator uses, typed here because @types/ws is not
 * installed. `ws` is the websocket library ccxt itself runs on.
 */
export interface WsSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  pong(data?: Buffer): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
  on(event: 'ping', listener: (data: Buffer) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

export interface WsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, callback: (ws: WsSocket) => void): void;
  close(callback?: () => void): void;
}

interface WsModule {
  readonly WebSocketServer: new (options: { noServer: true; autoPong: boolean }) => WsServer;
}

export const WS_OPEN = 1;

const require = createRequire(import.meta.url);

/** A websocket server that shares an HTTP server's port; pongs are left to the caller (stall faults). */
export function createWsServer(): WsServer {
  const ws = require('ws') as WsModule;
  return new ws.WebSocketServer({ noServer: true, autoPong: false });
}
