import type { Identity } from '../auth/identity.ts';
import type { DerivedChannel } from '../channel/derived.ts';
import type { DeltaStream } from '../delta/delta-stream.ts';
import type { ServerMetrics } from '../observability/metrics-server.ts';
import { type Codec, encodeOnce, type Message, type ProtocolMessage } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import type { Clock, TimerHandle } from '../time/clock.ts';
import { RateLimiter } from './rate-limiter.ts';
import { SerialTracker } from './serial-tracker.ts';
import type { Transport } from './transport.ts';

/** Per-connection settings fixed at connect time (query and transport params). */
export interface ConnectionOptions {
  codec: Codec;
  /** false when the client asked for `echo=false`: its own MESSAGEs are not delivered back. */
  echo: boolean;
  /** true when the client wants HEARTBEAT frames (browsers), false when WS pings will do (Node). */
  heartbeats: boolean;
  heartbeatInterval: number;
  remainPresentFor: number;
}

/** A connection's attachment to one channel. */
export class Attachment {
  /**
   * `attaching`: ATTACH being answered; events are held in `pending` until ATTACHED and SYNC are out.
   * `suspended`: the connection resumed on a new transport and the client has not re-attached yet; nothing is sent
   * (the SDK would drop it) and nothing is held: the re-ATTACH replays missed messages from history instead.
   */
  state: 'attaching' | 'attached' | 'suspended' = 'attaching';
  modes = 0;
  /** The mode flags the client asked for (0: none, i.e. the defaults), so a new capability can re-grant them. */
  requestedModes = 0;
  /** A derived channel (`[filter=…]name`): only the base channel's messages that pass the filter are sent. */
  derived?: DerivedChannel;
  pending: ChannelEvent[] = [];
  /** Highest event seq sent on this attachment, so replayed and live events are never sent twice. */
  lastSeq = 0;
  /**
   * The seq as of which the client's view of the channel's messages was set (its attach point, or where its resume
   * replay began). A message created at or before it may be one the client never saw in full: the first
   * append to it the client gets is sent as an update with the text so far (src/node/deliver.ts).
   */
  viewSeq = 0;
  /** Message serial → highest version seq the client has of it, for messages created at or before `viewSeq`. */
  readonly known = new Map<string, number>();
  /** Events waiting while the text so far of an appended-to message is being read (order is kept). */
  held: ChannelEvent[] | undefined;
  /** Set when attached with `delta=vcdiff`: rewrites each MESSAGE sent here as deltas against the previous one. */
  delta: DeltaStream | undefined;
  /** Reads a message's latest version (set by attach): how a first-seen append is completed. */
  latestOf: ((serial: string) => Promise<Message>) | undefined;

  constructor(
    readonly connection: Connection,
    /** Namespaced key. */
    readonly channel: string,
    /** Channel name as the client knows it. */
    readonly name: string,
  ) {}
}

/**
 * One client connection's session: it outlives its transport (for resume) until CLOSE or connectionStateTtl.
 * State only; the rules live in `node/`.
 */
export class Connection {
  /** Current connection key; a new one on every CONNECTED (RTN15e). */
  key: string;
  /**
   * The key the client presented to get `key`. Still accepted until the client resumes with `key`: the CONNECTED
   * carrying `key` may have been lost with the socket, and the client then retries with the one it has.
   */
  previousKey?: string;
  transport: Transport | undefined;
  state: 'connected' | 'disconnected' | 'closed' = 'connected';
  readonly attachments = new Map<string, Attachment>();
  readonly serials = new SerialTracker();
  readonly rate: RateLimiter;
  lastSeen: number;
  lastPing: number;
  /** Pending leave of this connection's members after an abrupt drop (remainPresentFor). */
  leaveTimer: TimerHandle | undefined;
  /** Pending disposal of the whole state (connectionStateTtl). */
  expiryTimer: TimerHandle | undefined;
  /** Inbound frames are handled strictly one after another, so ACKs go out in msgSerial order. */
  inbound: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    key: string,
    public identity: Identity,
    public options: ConnectionOptions,
    transport: Transport,
    maxInboundRate: number,
    clock: Clock,
    private readonly maxOutboundBuffer = Number.POSITIVE_INFINITY,
    /** Counts what is sent; undefined when metrics are off. */
    readonly metrics?: ServerMetrics,
  ) {
    this.key = key;
    this.transport = transport;
    this.rate = new RateLimiter(maxInboundRate, clock);
    this.lastSeen = this.lastPing = clock.now();
  }

  get clientId(): string | null {
    return this.identity.clientId;
  }

  /** Encodes and sends; a no-op while no transport is attached. */
  send(message: ProtocolMessage): void {
    this.write(this.options.codec.encode(message), message.action);
  }

  /** Sends a message shared by many connections, encoded once per format. */
  sendShared(message: ProtocolMessage): void {
    this.write(encodeOnce(this.options.codec, message), message.action);
  }

  /**
   * A peer that stops reading would make the socket buffer without bound; past `maxOutboundBuffer` it is dropped,
   * and its closing follows the abrupt-disconnect path (state kept for resume, members kept for remainPresentFor).
   */
  private write(frame: Buffer | string, action: number): void {
    const transport = this.transport;
    if (!transport) return;
    transport.send(frame);
    this.metrics?.countSent(action, frame);
    if (transport.bufferedAmount > this.maxOutboundBuffer) transport.terminate();
  }
}
