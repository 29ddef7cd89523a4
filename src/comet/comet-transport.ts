import type { ServerResponse } from 'node:http';
import type { Transport, TransportEvents } from '../connection/transport.ts';
import { corsHeaders } from '../rest/respond.ts';
import type { Clock, TimerHandle } from '../time/clock.ts';
import { joinFrames } from './batch.ts';

/** A recv request held open until frames arrive or its time is up. */
interface Poll {
  res: ServerResponse;
  timer: TimerHandle;
}

/**
 * The core's Transport over HTTP long-polling (Ably's "comet"). Frames the core sends wait in a queue until the
 * client's next recv; a held recv is answered as soon as frames arrive (batched within one turn of the event loop)
 * or with an empty array after `pollTimeout`, so proxies never see an idle request. There is no socket to watch:
 * a client that stops polling is caught by the liveness sweep (no sign of life within its heartbeat window) and
 * follows the same path as a dropped WebSocket.
 */
export class CometTransport implements Transport {
  private queue: Array<Buffer | string> = [];
  private queuedBytes = 0;
  private poll: Poll | undefined;
  private flushScheduled = false;
  private ended = false;
  private events: TransportEvents | undefined;

  constructor(
    /** msgpack bodies (`format=msgpack`) instead of JSON. */
    readonly binary: boolean,
    private readonly clock: Clock,
    private readonly pollTimeout: number,
    /** Called once when the transport ends (closed, terminated or dropped), so the endpoint can forget it. */
    private readonly onEnd: (transport: CometTransport) => void,
  ) {}

  /** Wires the core's callbacks. Call once, right after the core accepted the transport. */
  bind(events: TransportEvents): void {
    this.events = events;
  }

  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  send(frame: Buffer | string): void {
    if (this.ended) return;
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    this.scheduleFlush();
  }

  /** A recv (or the connect request, the first one) arrived: the client is alive and waiting for frames. */
  hold(res: ServerResponse): void {
    if (this.ended) {
      respond(res, joinFrames([], this.binary), this.binary);
      return;
    }
    this.events?.onAlive();
    // A client holds one recv at a time; a second one means it gave up on the first.
    if (this.poll) this.answer();
    const poll: Poll = { res, timer: this.clock.setTimeout(() => this.answer(), this.pollTimeout) };
    this.poll = poll;
    // The client abandoning its recv is not a loss by itself: it has the idle window to come back.
    res.once('close', () => {
      if (this.poll !== poll) return;
      this.clock.clearTimeout(poll.timer);
      this.poll = undefined;
    });
    if (this.queue.length > 0) this.scheduleFlush();
  }

  /** Frames from a `send` request, one protocol message each. */
  receive(frames: Buffer[]): void {
    if (this.ended) return;
    for (const frame of frames) this.events?.onFrame(frame, this.binary);
  }

  /** Closes gracefully: what is queued goes to a held recv, then the transport ends. */
  close(): void {
    if (this.ended) return;
    if (this.poll) this.answer();
    this.end();
  }

  /** Drops the transport at once: a held recv is cut off, queued frames are discarded. */
  terminate(): void {
    if (this.ended) return;
    if (this.poll) {
      this.clock.clearTimeout(this.poll.timer);
      this.poll.res.destroy();
      this.poll = undefined;
    }
    this.end();
  }

  /**
   * The liveness probe. A held recv shows the client is there; answering it makes the client come back within a
   * round trip, which is the sign of life the next probe looks for.
   */
  ping(): void {
    if (!this.poll) return;
    this.events?.onAlive();
    this.answer();
  }

  private end(): void {
    this.ended = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.onEnd(this);
    // As a WebSocket's 'close' event does, this reaches the core later, never in the middle of its own call.
    setImmediate(() => this.events?.onClose());
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || !this.poll) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.queue.length > 0) this.answer();
    });
  }

  /** Ends the held recv with everything queued (possibly nothing). */
  private answer(): void {
    const poll = this.poll;
    if (!poll) return;
    this.poll = undefined;
    this.clock.clearTimeout(poll.timer);
    const body = joinFrames(this.queue, this.binary);
    this.queue = [];
    this.queuedBytes = 0;
    respond(poll.res, body, this.binary);
  }
}

function respond(res: ServerResponse, body: Buffer, binary: boolean): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(200, {
    ...corsHeaders(res.req),
    'content-type': binary ? 'application/x-msgpack' : 'application/json',
    'content-length': body.length,
    'cache-control': 'no-cache, no-store',
  });
  res.end(body);
}
