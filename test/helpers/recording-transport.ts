import type { Transport } from '../../src/connection/transport.ts';

/** A Transport that records what the server sends, with no socket at all (for driving a Node directly). */
export class RecordingTransport implements Transport {
  readonly sent: Array<Buffer | string> = [];
  closed = false;
  bufferedAmount = 0;
  send(frame: Buffer | string): void {
    if (!this.closed) this.sent.push(frame);
  }
  close(): void {
    this.closed = true;
  }
  terminate(): void {
    this.closed = true;
  }
  ping(): void {}
}
