import type { Message, PresenceMessage } from '../../protocol/index.ts';
import type { Clock } from '../../time/clock.ts';
import type { ChannelEvent } from '../broker.ts';
import { pageEvents } from '../history-page.ts';
import {
  type HistoryKind,
  type HistoryPage,
  type HistoryQuery,
  type HistoryStore,
  lastingPart,
  mergeBySeq,
} from '../history-store.ts';

interface ChannelLog {
  events: ChannelEvent[];
  /** Highest seq dropped by retention; a resume from before it has lost continuity. */
  evictedSeq: number;
}

export interface HistoryLimits {
  maxAge: number;
  maxPerChannel: number;
  /** Count limit of the `operations` kind (default: maxPerChannel). */
  maxOperationsPerChannel?: number;
}

/** History in process memory, bounded by age and count per channel. Single node only; lost on restart. */
export class MemoryHistoryStore implements HistoryStore {
  private readonly logs = new Map<string, ChannelLog>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: HistoryLimits,
  ) {}

  async append(kind: HistoryKind, event: ChannelEvent): Promise<void> {
    const lasting = lastingPart(event);
    if (!lasting) return;
    const key = `${kind}:${event.channel}`;
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, (log = { events: [], evictedSeq: 0 }));
    // A copy of the message, so the frames encoded for its fan-out (cached per message object) are not retained too.
    log.events.push({ ...lasting, message: { ...lasting.message } });
    this.evict(log, kind);
  }

  async messages(channel: string, query: HistoryQuery): Promise<HistoryPage<Message>> {
    return this.page(`messages:${channel}`, query, (e) => e.message.messages ?? []);
  }

  async presence(channel: string, query: HistoryQuery): Promise<HistoryPage<PresenceMessage>> {
    return this.page(`presence:${channel}`, query, (e) => e.message.presence ?? []);
  }

  async messagesAfter(channel: string, afterSeq: number): Promise<ChannelEvent[] | undefined> {
    const created = this.after('messages', channel, afterSeq);
    const changed = this.after('operations', channel, afterSeq);
    if (!created || !changed) return undefined;
    return mergeBySeq(created, changed);
  }

  async messageEvent(channel: string, seq: number): Promise<ChannelEvent | undefined> {
    const log = this.logs.get(`messages:${channel}`);
    if (!log) return undefined;
    this.evict(log, 'messages');
    return log.events.find((e) => e.seq === seq);
  }

  private after(kind: HistoryKind, channel: string, afterSeq: number): ChannelEvent[] | undefined {
    const log = this.logs.get(`${kind}:${channel}`);
    if (!log) return [];
    this.evict(log, kind);
    if (afterSeq < log.evictedSeq) return undefined;
    return log.events.filter((e) => e.seq > afterSeq);
  }

  async recentMessages(channel: string, since = 0): Promise<ChannelEvent[]> {
    const log = this.logs.get(`messages:${channel}`);
    if (!log) return [];
    this.evict(log, 'messages');
    return log.events.filter((e) => (e.message.timestamp ?? 0) >= since);
  }

  private evict(log: ChannelLog, kind: HistoryKind): void {
    const oldest = this.clock.now() - this.limits.maxAge;
    const max =
      kind === 'operations' ? (this.limits.maxOperationsPerChannel ?? this.limits.maxPerChannel) : this.limits.maxPerChannel;
    let drop = Math.max(0, log.events.length - max);
    while (drop < log.events.length && (log.events[drop] as ChannelEvent).message.timestamp! < oldest) drop++;
    if (drop === 0) return;
    log.evictedSeq = (log.events[drop - 1] as ChannelEvent).seq;
    log.events.splice(0, drop);
  }

  private page<T extends Message | PresenceMessage>(
    key: string,
    q: HistoryQuery,
    itemsOf: (e: ChannelEvent) => T[],
  ): HistoryPage<T> {
    const log = this.logs.get(key);
    if (!log) return { items: [] };
    this.evict(log, key.startsWith('presence:') ? 'presence' : 'messages');
    return pageEvents(log.events, q, itemsOf);
  }
}
