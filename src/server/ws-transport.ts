import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Transport, TransportEvents } from '../connection/transport.ts';

const ignore = (): void => {};

/** The only adapter between `ws` and the core's Transport seam. */
export class WsTransport implements Transport {
  constructor(private readonly socket: WebSocket) {}

  /** Wires socket events to the core. Call once, right after the core accepted the transport. */
  bind(events: TransportEvents): void {
    this.socket.on('message', (data, isBinary) => {
      const frame = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      events.onFrame(frame, isBinary);
    });
    // The core's callbacks are passed as they are: no extra closure per socket for each of these events.
    this.socket.on('pong', events.onAlive);
    this.socket.on('ping', events.onAlive);
    this.socket.on('close', events.onClose);
    // Errors (e.g. a frame over maxPayload) are followed by 'close'; listening keeps them from being thrown.
    this.socket.on('error', ignore);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  send(frame: Buffer | string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(frame);
  }

  close(code = 1000, reason = ''): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }

  terminate(): void {
    this.socket.terminate();
  }

  ping(): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.ping();
  }
}

/** The WebSocket endpoint of the HTTP server: completes upgrades and tracks the sockets for shutdown. */
export class WsEndpoint {
  private readonly wss: WebSocketServer;

  /** `maxPayload`: frames above it are refused by `ws` itself (close 1009) before the core sees them. */
  constructor(maxPayload: number) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
  }

  /** Completes an HTTP upgrade and hands the new transport to `accept`. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, accept: (transport: WsTransport) => void): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => accept(new WsTransport(ws)));
  }

  /** Resolves once every socket open now has closed. Open sockets keep the process alive, so no timer is needed. */
  drained(): Promise<void> {
    const open = [...this.wss.clients].filter((ws) => ws.readyState !== ws.CLOSED);
    return Promise.all(open.map((ws) => new Promise((resolve) => ws.once('close', resolve)))).then(() => {});
  }

  /** Drops every socket still open. */
  terminateAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }
}
