import type { Message, PresenceMessage } from '../protocol/index.ts';
import type { ChannelEvent } from './broker.ts';

export type HistoryKind = 'messages' | 'presence';

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
 * Bounded by age and count per channel (config `historyMaxAge`, `historyMaxPerChannel`).
 */
export interface HistoryStore {
  append(kind: HistoryKind, event: ChannelEvent): Promise<void>;
  messages(channel: string, query: HistoryQuery): Promise<HistoryPage<Message>>;
  presence(channel: string, query: HistoryQuery): Promise<HistoryPage<PresenceMessage>>;
  /**
   * MESSAGE events with seq > `afterSeq`, oldest first; undefined when some were already evicted (continuity lost).
   */
  messagesAfter(channel: string, afterSeq: number): Promise<ChannelEvent[] | undefined>;
  /** Every retained MESSAGE event (those with a timestamp at or after `since`, when given), oldest first (rewind). */
  recentMessages(channel: string, since?: number): Promise<ChannelEvent[]>;
}

/**
 * Items of an event with the fields the SDK would inherit from the ProtocolMessage filled in (Ably TM2a/TP3a),
 * as REST history returns them.
 */
export function flattenItems<T extends Message | PresenceMessage>(event: ChannelEvent, items: T[]): T[] {
  const pm = event.message;
  return items.map((item, i) => ({
    ...item,
    id: item.id ?? `${pm.id}:${i}`,
    connectionId: item.connectionId ?? pm.connectionId,
    timestamp: item.timestamp ?? pm.timestamp,
  }));
}
