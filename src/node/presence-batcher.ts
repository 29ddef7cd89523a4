import type { Attachment } from '../connection/connection.ts';
import { Action, Flag, messageSize, type PresenceMessage, type ProtocolMessage } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import type { Clock, TimerHandle } from '../time/clock.ts';
import { deliverTo } from './deliver.ts';

/** The knobs of presence batching (from Config). */
export interface PresenceBatchSettings {
  /** How long PRESENCE events of a busy channel may wait to share a frame, ms. 0 turns batching off. */
  window: number;
  /** Most presence items in one batched PRESENCE message. */
  maxItems: number;
  /** Approximate largest batched payload (sum of item sizes), bytes. */
  maxBytes: number;
  /** Local attachments a channel needs before it is batched: fan-out cost is events × subscribers. */
  minSubscribers: number;
}

interface Pending {
  events: ChannelEvent[];
  items: number;
  bytes: number;
  timer: TimerHandle | undefined;
  /**
   * When this channel's last PRESENCE fan-out finished. Taken after the sends, not before: on a loaded server one
   * fan-out can outlast the window, and the next event must still count as "soon after" or nothing is ever batched.
   */
  lastSentAt: number;
}

/** Fixed per-item overhead (ids, action, timestamp) added to the payload size when bounding a batch. */
const ITEM_OVERHEAD = 96;

/**
 * Delivers channel events to a node's attachments, merging the PRESENCE events of busy channels (Ably's
 * server-side presence batching). A channel is busy when it has at least `minSubscribers` local attachments and a
 * PRESENCE event arrives less than `window` ms after the previous one was sent; events then wait up to `window`
 * (or until `maxItems`/`maxBytes`) and go out as ONE PRESENCE ProtocolMessage, encoded once per format for every
 * subscriber. Order is kept: items keep their order, any non-PRESENCE event of the channel flushes the batch
 * before it, and a quiet channel's first event goes out at once, so batching adds no latency to quiet channels.
 *
 * A merged message carries `id`, `connectionId` and `timestamp` on every item (they differ between the merged
 * events and the SDK would otherwise derive them from the ProtocolMessage, RTP2b), and the channelSerial of the
 * last merged event. Attachments without PRESENCE_SUBSCRIBE get only their own events, unmerged, at flush time.
 */
export class PresenceBatcher {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly clock: Clock,
    private readonly settings: PresenceBatchSettings,
    private readonly attachments: (channel: string) => ReadonlySet<Attachment>,
  ) {}

  /** Delivers (or holds) one broker event. */
  deliver(event: ChannelEvent): void {
    const channel = event.channel;
    const p = this.pending.get(channel);
    if (event.message.action !== Action.PRESENCE) {
      if (p && p.events.length > 0) this.flush(channel, p);
      this.send(event);
      return;
    }
    const s = this.settings;
    if (s.window <= 0 || this.attachments(channel).size < s.minSubscribers) {
      if (p) this.flush(channel, p);
      this.send(event);
      return;
    }
    if (!p) {
      this.send(event);
      this.pending.set(channel, { events: [], items: 0, bytes: 0, timer: undefined, lastSentAt: this.clock.now() });
      return;
    }
    if (p.events.length === 0 && this.clock.now() - p.lastSentAt >= s.window) {
      this.send(event);
      p.lastSentAt = this.clock.now();
      return;
    }
    p.events.push(event);
    for (const item of event.message.presence ?? []) {
      p.items++;
      p.bytes += messageSize(item) + ITEM_OVERHEAD;
    }
    if (p.items >= s.maxItems || p.bytes >= s.maxBytes) this.flush(channel, p);
    else p.timer ??= this.clock.setTimeout(() => this.flush(channel, p), s.window);
  }

  /** Sends everything held (shutdown, tests). */
  flushAll(): void {
    for (const [channel, p] of this.pending) this.flush(channel, p);
  }

  private flush(channel: string, p: Pending): void {
    if (p.timer) this.clock.clearTimeout(p.timer);
    p.timer = undefined;
    const events = p.events;
    p.events = [];
    p.items = p.bytes = 0;
    // Channels that stopped being busy (or lost their subscribers) hold no state.
    if (events.length === 0 || this.attachments(channel).size < this.settings.minSubscribers) this.pending.delete(channel);
    if (events.length === 0) return;
    if (events.length === 1) this.send(events[0] as ChannelEvent);
    else {
      const merged = mergePresence(events);
      for (const att of this.attachments(channel)) {
        if (att.modes & Flag.PRESENCE_SUBSCRIBE) deliverTo(att, merged);
        else for (const e of events) if (e.origin === att.connection.id) deliverTo(att, e);
      }
    }
    p.lastSentAt = this.clock.now();
  }

  private send(event: ChannelEvent): void {
    for (const att of this.attachments(event.channel)) deliverTo(att, event);
  }
}

/**
 * One PRESENCE event holding the items of `events` in order, each with its own id, connectionId and timestamp
 * (inherited from its ProtocolMessage where absent, TP3a), and the last event's serial.
 */
export function mergePresence(events: ChannelEvent[]): ChannelEvent {
  const last = events[events.length - 1] as ChannelEvent;
  const presence: PresenceMessage[] = [];
  for (const e of events) {
    const m = e.message;
    const items = m.presence ?? [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as PresenceMessage;
      if (item.id !== undefined && item.connectionId !== undefined && item.timestamp !== undefined) presence.push(item);
      else
        presence.push({
          ...item,
          id: item.id ?? (m.id === undefined ? undefined : `${m.id}:${i}`),
          connectionId: item.connectionId ?? m.connectionId,
          timestamp: item.timestamp ?? m.timestamp,
        });
    }
  }
  const message: ProtocolMessage = {
    action: Action.PRESENCE,
    channel: last.message.channel,
    channelSerial: last.message.channelSerial,
    presence,
  };
  return { channel: last.channel, serial: last.serial, seq: last.seq, message };
}
