import type { TestContext } from 'node:test';
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import type { Protocol } from './server.ts';
import { Collector, TEST_KEY } from './server.ts';

/** A decoded frame as the server sent it (the wire shape, before any SDK processing). */
export type Frame = Record<string, unknown> & { action: number };

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ mapsAsObjects: true, int64AsType: 'number', useRecords: false });

/**
 * A bare `ws` client speaking the Ably wire format by hand, for what the SDK would never send (garbage, oversized
 * frames) and for looking at frames exactly as they travel.
 */
export class RawClient {
  readonly frames = new Collector<Frame>();
  /** Resolves with the close code once the server (or we) closed the socket. */
  readonly closed: Promise<number>;

  private constructor(
    readonly socket: WebSocket,
    readonly protocol: Protocol,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
    socket.on('message', (data: Buffer, isBinary) => {
      this.frames.push((isBinary ? unpackr.unpack(data) : JSON.parse(data.toString('utf8'))) as Frame);
    });
    // A frame the server refuses at the WebSocket level surfaces as an error before 'close'.
    socket.on('error', () => {});
  }

  /** Opens a raw connection and waits for its first frame (CONNECTED or ERROR). Closed when the test ends. */
  static async open(t: TestContext, port: number, protocol: Protocol, query: Record<string, string> = {}): Promise<RawClient> {
    const params = new URLSearchParams({ key: TEST_KEY, format: protocol, heartbeats: 'false', v: '6', ...query });
    const socket = new WebSocket(`ws://127.0.0.1:${port}/?${params}`);
    const client = new RawClient(socket, protocol);
    t.after(() => socket.terminate());
    await client.frames.count(1);
    return client;
  }

  /** Sends a value in this client's format (JSON text or msgpack binary). */
  send(value: unknown): void {
    if (this.protocol === 'json') this.socket.send(JSON.stringify(value));
    else this.socket.send(packr.pack(value));
  }

  /** Sends bytes or text exactly as given. */
  sendRaw(data: Buffer | string, binary: boolean): void {
    this.socket.send(data, { binary });
  }

  /** Waits for the first frame (received so far or later) with the given action that also matches `where`. */
  async next(action: number, where: (f: Frame) => boolean = () => true): Promise<Frame> {
    const match = (f: Frame) => f.action === action && where(f);
    const items = await this.frames.until((all) => all.some(match));
    return items.find(match) as Frame;
  }
}
