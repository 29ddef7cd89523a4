/**
 * A connected socket, as the core sees it. `server/ws-transport.ts` adapts `ws`; tests may record frames instead.
 * Only the transport adapter knows about WebSocket details.
 */
export interface Transport {
  send(frame: Buffer | string): void;
  /** Closes gracefully (close frame). */
  close(code?: number, reason?: string): void;
  /** Drops the socket at once, as when the peer is declared dead. */
  terminate(): void;
  /** Sends a liveness probe; the peer's answer arrives as `TransportEvents.onAlive`. */
  ping(): void;
  /** Bytes queued but not yet written; used to spot peers that stopped reading. */
  readonly bufferedAmount: number;
}

/** Callbacks a transport drives. They may be called unbound (passed straight to event emitters). */
export interface TransportEvents {
  onFrame(frame: Buffer, isBinary: boolean): void;
  /** The peer showed a sign of life other than a frame (e.g. a pong). */
  onAlive(): void;
  onClose(): void;
}
