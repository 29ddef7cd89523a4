import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';

/**
 * A light raw-protocol Ably v6 client for load generation: one `ws` socket, JSON or msgpack ProtocolMessages, no
 * retries, no queues. It connects, attaches, enters presence (also on behalf of other clientIds), publishes, and
 * tracks each channel's member set from SYNC and PRESENCE the way the SDK does (residual members are dropped at the
 * end of a sync). Thousands fit in one process; the SDK (`ably`) is too heavy for that.
 */

export type Format = 'json' | 'msgpack';

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

export const PRESENCE_ACTIONS = ['absent', 'present', 'enter', 'leave', 'update'] as const;
const A = {
  HEARTBEAT: 0,
  ACK: 1,
  NACK: 2,
  CONNECTED: 4,
  ERROR: 9,
  ATTACH: 10,
  ATTACHED: 11,
  PRESENCE: 14,
  MESSAGE: 15,
  SYNC: 16,
};

/** The fields of a presence item the light client reads. */
export interface LightPresenceItem {
  id?: string;
  action: number;
  clientId: string;
  connectionId: string;
  data?: unknown;
  timestamp?: number;
  res?: Array<{ serials: string[] }>;
}

export interface LightMessage {
  name?: string;
  data?: unknown;
  clientId?: string;
  connectionId?: string;
}

interface Wire {
  action: number;
  channel?: string;
  channelSerial?: string;
  connectionId?: string;
  msgSerial?: number;
  count?: number;
  flags?: number;
  error?: { code: number; message: string };
  presence?: LightPresenceItem[];
  messages?: LightMessage[];
  connectionDetails?: { connectionKey: string };
  id?: string;
  timestamp?: number;
  /** ACK: per acknowledged message, the serials assigned. */
  res?: Array<{ serials: string[] }>;
}

/** What the client sends: any ProtocolMessage fields. */
type Outbound = { action: number } & Record<string, unknown>;

const unpackr = new Unpackr({ mapsAsObjects: true, int64AsType: 'number', useRecords: false });
const packr = new Packr({ useRecords: false });

/** Encodes a ProtocolMessage in a format: a string for JSON, bytes for msgpack. */
export function encodeWire(format: Format, message: object): string | Buffer {
  return format === 'json' ? JSON.stringify(message) : packr.pack(message);
}

/** One channel's view: members by memberKey, plus sync bookkeeping. */
export class ChannelView {
  readonly members = new Map<string, LightPresenceItem>();
  /** Members held when a sync began and not yet confirmed by it (RTP19). */
  residual: Set<string> | undefined;
  syncId: string | undefined;
  attached = false;
  /** Wall time the last SYNC page (empty cursor) arrived. */
  syncDoneAt: number | undefined;
  syncItems = 0;
}

export interface LightClientOptions {
  port: number;
  host?: string;
  key: string;
  clientId?: string;
  format: Format;
  remainPresentFor?: number;
  /** A previous connection's connectionKey: connect resumes it (`resume` query param). */
  resume?: string;
  /** Raw mode: no Ably handshake (for the ceiling relay); frames are still parsed and tracked. */
  raw?: boolean;
  /**
   * Lean mode: member maps keep one shared placeholder instead of each decoded item, so thousands of clients
   * holding thousands of members do not turn the load generator into a garbage-collection benchmark.
   */
  lean?: boolean;
}

const LEAN_ITEM: LightPresenceItem = { action: 1, clientId: '', connectionId: '' };

/**
 * Member keys shared by every lean client of this process: one string per member rather than one per member per
 * client. In a storm of N clients a process holds N² / workers entries; with a key string each, old-space GC spent
 * more time marking them than the clients spent decoding frames.
 */
const sharedKeys = new Map<string, Map<string, string>>();
function sharedKey(clientId: string, connectionId: string): string {
  let byConnection = sharedKeys.get(clientId);
  if (!byConnection) sharedKeys.set(clientId, (byConnection = new Map()));
  let key = byConnection.get(connectionId);
  if (key === undefined) byConnection.set(connectionId, (key = `${clientId}:${connectionId}`));
  return key;
}

export type FrameListener = (message: Wire, at: number) => void;

/** See the module comment. Events are delivered through `onPresence`, `onMessage` and `onFrame` hooks. */
export class LightClient {
  readonly format: Format;
  readonly clientId: string | undefined;
  connectionId: string | undefined;
  /** From CONNECTED's connectionDetails: what a later connection presents to resume this one. */
  connectionKey: string | undefined;
  private ws: WebSocket | undefined;
  private msgSerial = 0;
  private readonly channels = new Map<string, ChannelView>();
  private readonly waiters = new Set<() => boolean>();
  private readonly acks = new Map<number, { resolve: (res?: Wire['res']) => void; reject: (e: Error) => void }>();
  /** Called for every presence item applied (after SYNC/PRESENCE handling). */
  onPresence: ((channel: string, item: LightPresenceItem, at: number, sync: boolean) => void) | undefined;
  onMessage: ((channel: string, message: LightMessage, at: number) => void) | undefined;
  onFrame: FrameListener | undefined;
  /** Frames received (any action). */
  frames = 0;
  closed = false;
  /** The WebSocket close code and reason, once closed. */
  closeReason: string | undefined;
  lastError: Wire['error'] | undefined;

  constructor(private readonly options: LightClientOptions) {
    this.format = options.format;
    this.clientId = options.clientId;
  }

  channel(name: string): ChannelView {
    let view = this.channels.get(name);
    if (!view) this.channels.set(name, (view = new ChannelView()));
    return view;
  }

  /** Opens the socket; resolves on CONNECTED (or on open in raw mode). */
  connect(): Promise<void> {
    const o = this.options;
    const q = new URLSearchParams({ key: o.key, format: o.format, heartbeats: 'false', v: '6' });
    if (o.clientId) q.set('clientId', o.clientId);
    if (o.remainPresentFor !== undefined) q.set('remainPresentFor', String(o.remainPresentFor));
    if (o.resume) q.set('resume', o.resume);
    const ws = new WebSocket(`ws://${o.host ?? '127.0.0.1'}:${o.port}/?${q}`, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));
    ws.on('close', (code, reason) => {
      this.closed = true;
      this.closeReason = `${code} ${reason.toString()}`;
      this.check();
    });
    ws.on('error', () => {});
    if (o.raw) return new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return this.until(() => this.connectionId !== undefined || this.closed).then(() => {
      if (!this.connectionId) throw new Error(`connect failed: ${this.lastError?.message ?? 'closed'}`);
    });
  }

  /** ATTACH (default modes unless `flags`, channel `params` if given); resolves on ATTACHED. */
  attach(channel: string, flags?: number, params?: Record<string, string>): Promise<void> {
    const view = this.channel(channel);
    this.send(params ? { action: A.ATTACH, channel, flags, params } : { action: A.ATTACH, channel, flags });
    return this.until(() => view.attached || this.closed);
  }

  /** Resolves when the channel's sync ends (immediately if ATTACHED had no HAS_PRESENCE). */
  synced(channel: string): Promise<void> {
    const view = this.channel(channel);
    return this.until(() => view.syncDoneAt !== undefined || this.closed);
  }

  /** PRESENCE with one item per clientId (own clientId when omitted); resolves on ACK. */
  enter(channel: string, data?: string, clientIds?: string[], action = 2): Promise<void> {
    const presence = clientIds ? clientIds.map((clientId) => ({ action, clientId, data })) : [{ action, data }];
    return this.sendAcked({ action: A.PRESENCE, channel, presence }).then(() => {});
  }

  leave(channel: string): Promise<void> {
    return this.sendAcked({ action: A.PRESENCE, channel, presence: [{ action: 3 }] }).then(() => {});
  }

  /** MESSAGE publish; resolves on ACK. */
  publish(channel: string, name: string, data: string): Promise<void> {
    return this.sendAcked({ action: A.MESSAGE, channel, messages: [{ name, data }] }).then(() => {});
  }

  /** MESSAGE publish of one message; resolves with its serial (from the ACK). */
  async publishForSerial(channel: string, name: string, data: string): Promise<string> {
    const res = await this.sendAcked({ action: A.MESSAGE, channel, messages: [{ name, data }] });
    return String(res?.[0]?.serials[0]);
  }

  /** Appends `data` to the message `serial` (a message.append operation); resolves on ACK. */
  append(channel: string, serial: string, data: string): Promise<void> {
    return this.sendAcked({ action: A.MESSAGE, channel, messages: [{ action: 5, serial, data }] }).then(() => {});
  }

  /** Sends a pre-encoded frame as-is (ceiling relay traffic). */
  sendRaw(frame: string | Buffer): void {
    this.ws?.send(frame);
  }

  /** Resolves once `predicate` holds (checked after every frame). */
  until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!predicate()) return false;
        resolve();
        return true;
      };
      this.waiters.add(check);
    });
  }

  /** Abrupt loss: destroys the TCP socket without a close frame, as a crashed device would. */
  kill(): void {
    const socket = (this.ws as unknown as { _socket?: { destroy(): void } })?._socket;
    socket?.destroy();
    this.ws?.terminate();
  }

  /** Polite CLOSE then socket close. */
  close(): void {
    if (!this.ws || this.closed) return;
    if (!this.options.raw && this.ws.readyState === WebSocket.OPEN) this.send({ action: 7 });
    this.ws.close();
  }

  private sendAcked(message: Outbound): Promise<Wire['res']> {
    const serial = this.msgSerial++;
    this.send({ ...message, msgSerial: serial });
    return new Promise((resolve, reject) => this.acks.set(serial, { resolve, reject }));
  }

  private send(message: Outbound): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encodeWire(this.format, message));
  }

  private receive(data: Buffer, isBinary: boolean): void {
    const at = wallNow();
    this.frames++;
    const m = (isBinary ? unpackr.unpack(data) : JSON.parse(data.toString())) as Wire;
    this.onFrame?.(m, at);
    switch (m.action) {
      case A.CONNECTED:
        this.connectionId = m.connectionId;
        this.connectionKey = m.connectionDetails?.connectionKey;
        break;
      case A.ERROR:
        this.lastError = m.error;
        break;
      case A.ACK:
      case A.NACK:
        for (let s = m.msgSerial ?? 0; s < (m.msgSerial ?? 0) + (m.count ?? 1); s++) {
          const w = this.acks.get(s);
          this.acks.delete(s);
          if (m.action === A.ACK) w?.resolve(m.res);
          else w?.reject(new Error(`NACK ${m.error?.code}: ${m.error?.message}`));
        }
        break;
      case A.ATTACHED: {
        const view = this.channel(m.channel ?? '');
        view.attached = true;
        if ((m.flags ?? 0) & 1) this.startSync(view);
        else {
          view.members.clear();
          view.syncDoneAt = at;
        }
        break;
      }
      case A.SYNC:
        this.applySync(m, at);
        break;
      case A.PRESENCE:
        this.applyPresence(m, at);
        break;
      case A.MESSAGE:
        if (this.onMessage) for (const msg of m.messages ?? []) this.onMessage(m.channel ?? '', msg, at);
        break;
    }
    this.check();
  }

  private check(): void {
    for (const w of this.waiters) if (w()) this.waiters.delete(w);
  }

  private startSync(view: ChannelView): void {
    view.residual = new Set(view.members.keys());
    view.syncDoneAt = undefined;
  }

  private applySync(m: Wire, at: number): void {
    const name = m.channel ?? '';
    const view = this.channel(name);
    const match = /^([\w-]+):(.*)$/.exec(m.channelSerial ?? '');
    const syncId = match?.[1];
    if (syncId !== view.syncId) {
      view.syncId = syncId;
      if (!view.residual) view.residual = new Set(view.members.keys());
    }
    for (const item of m.presence ?? []) {
      view.syncItems++;
      this.put(name, view, item, at, true);
    }
    if (!match || match[2] === '') {
      for (const key of view.residual ?? []) {
        const gone = view.members.get(key);
        view.members.delete(key);
        if (gone) this.onPresence?.(name, { ...gone, action: 3 }, at, true);
      }
      view.residual = undefined;
      view.syncId = undefined;
      view.syncDoneAt = at;
    }
  }

  private applyPresence(m: Wire, at: number): void {
    const name = m.channel ?? '';
    const view = this.channel(name);
    const items = m.presence ?? [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as LightPresenceItem;
      // Items without their own fields inherit the ProtocolMessage's (TP3a); batched messages set them per item.
      if (item.connectionId === undefined) item.connectionId = m.connectionId ?? '';
      if (item.id === undefined && m.id !== undefined) item.id = `${m.id}:${i}`;
      if (item.timestamp === undefined) item.timestamp = m.timestamp;
      if (item.action === 3) {
        const key = this.keyOf(item);
        const had = view.members.delete(key);
        view.residual?.delete(key);
        if (had) this.onPresence?.(name, item, at, false);
      } else this.put(name, view, item, at, false);
    }
  }

  private keyOf(item: LightPresenceItem): string {
    return this.options.lean ? sharedKey(item.clientId, item.connectionId) : `${item.clientId}:${item.connectionId}`;
  }

  private put(name: string, view: ChannelView, item: LightPresenceItem, at: number, sync: boolean): void {
    const key = this.keyOf(item);
    view.residual?.delete(key);
    // Lean members keep no id, so the lookup could never silence an event: skipped (one hash lookup per item).
    if (this.options.lean) {
      view.members.set(key, LEAN_ITEM);
      this.onPresence?.(name, item, at, sync);
      return;
    }
    const existing = view.members.get(key);
    view.members.set(key, this.options.lean ? LEAN_ITEM : item);
    // Like the SDK: a SYNC item for a member already known and unchanged emits nothing.
    if (!(sync && existing && existing.id === item.id)) this.onPresence?.(name, item, at, sync);
  }
}
