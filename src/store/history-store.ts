import type { Message, PresenceMessage } from '../protocol/index.ts';
import type { ChannelEvent } from './broker.ts';

/**
 * `messages`: events that create messages (what history lists); `operations`: events that change a message
 * (update, delete, append; src/messages), kept apart so a long stream of appends never pushes messages out of the
 * count limit; `presence`: presence events.
 */
export type HistoryKind = 'messages' | 'operations' | 'presence';

/** A history query, as REST receives it (Ably RSL2 / RSP4). Times are inclusive, in ms. */
export interface HistoryQuery {
  start?: number;
  end?: number;
  direction: 'backwards' | 'forwards';
  limit: number;
  /** Opaque cursor from a previous page's `next`. */
  cursor?: string;
  /** Only events at or before this seq (`untilAttach`'s `from_serial`). */
  untilSeq?: number;
}

export interface HistoryPage<T> {
  items: T[];
  /** Cursor for the next page; undefined on the last page. */
  next?: string;
}

/**
 * Retained channel events for REST history and for replaying messages to a resuming connection.
 * Bounded by age and count per channel (config `historyMaxAge`, `historyMaxPerChannel`). Ephemeral items
 * (`extras.ephemeral`) are never returned: not by history, rewind or resume replay.
 */
export interface HistoryStore {
  /**
   * Keeps an event the broker numbered. The server's own events reach history through `Broker.publish` with
   * `history` instead, atomically with their fan-out; the broker calls this where its backend needs no more.
   */
  append(kind: HistoryKind, event: ChannelEvent): Promise<void>;
  messages(channel: string, query: HistoryQuery): Promise<HistoryPage<Message>>;
  presence(channel: string, query: HistoryQuery): Promise<HistoryPage<PresenceMessage>>;
  /**
   * MESSAGE events (creates and operations) with seq > `afterSeq`, oldest first; undefined when some were already
   * evicted (continuity lost).
   */
  messagesAfter(channel: string, afterSeq: number): Promise<ChannelEvent[] | undefined>;
  /** Every retained MESSAGE event (those with a timestamp at or after `since`, when given), oldest first (rewind). */
  recentMessages(channel: string, since?: number): Promise<ChannelEvent[]>;
  /** The retained `messages` event numbered `seq`, if any (finds the message a serial names). */
  messageEvent(channel: string, seq: number): Promise<ChannelEvent | undefined>;
}

/** Ephemeral messages (`extras.ephemeral`) are delivered live only: never in history, rewind or resume replay. */
export const isEphemeral = (m: Message): boolean => m.extras?.ephemeral === true;

/**
 * The part of an event history keeps: all of it, nothing when every message is ephemeral, else the lasting items
 * with the id they had in the event (the SDK derives ids from the event's id and the item's index). Their serials
 * were stamped before, so each keeps its index in the event.
 */
export function lastingPart(event: ChannelEvent): ChannelEvent | undefined {
  const items = event.message.messages;
  if (!items?.some(isEphemeral)) return event;
  const kept = items.flatMap((m, i) => (isEphemeral(m) ? [] : [{ ...m, id: m.id ?? `${event.message.id}:${i}` }]));
  return kept.length === 0 ? undefined : { ...event, message: { ...event.message, messages: kept } };
}

/**
 * Items of an event with the fields the SDK would inherit from the ProtocolMessage filled in (Ably TM2a/TP3a),
 * as REST history returns them.
 */
/** Merges two seq-ordered event lists into one. */
export function mergeBySeq(a: ChannelEvent[], b: ChannelEvent[]): ChannelEvent[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return [...a, ...b].sort((x, y) => x.seq - y.seq);
}

export function flattenItems<T extends Message | PresenceMessage>(event: ChannelEvent, items: T[]): T[] {
  const pm = event.message;
  return items.map((item, i) => ({
    ...item,
    id: item.id ?? `${pm.id}:${i}`,
    connectionId: item.connectionId ?? pm.connectionId,
    timestamp: item.timestamp ?? pm.timestamp,
  }));
}
