import type { Message, PresenceMessage } from '../../protocol/index.ts';
import type { Clock } from '../../time/clock.ts';
import type { ChannelEvent } from '../broker.ts';
import { pageEvents } from '../history-page.ts';
import type { HistoryKind, HistoryPage, HistoryQuery, HistoryStore } from '../history-store.ts';

interface ChannelLog {
  events: ChannelEvent[];
  /** Highest seq dropped by retention; a resume from before it has lost continuity. */
  evictedSeq: number;
}

export interface HistoryLimits {
  maxAge: number;
  maxPerChannel: number;
}

/** History in process memory, bounded by age and count per channel. Single node only; lost on restart. */
export class MemoryHistoryStore implements HistoryStore {
  private readonly logs = new Map<string, ChannelLog>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: HistoryLimits,
  ) {}

  async append(kind: HistoryKind, event: ChannelEvent): Promise<void> {
    const key = `${kind}:${event.channel}`;
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, (log = { events: [], evictedSeq: 0 }));
    // A copy of the message, so the frames encoded for its fan-out (cached per message object) are not retained too.
    log.events.push({ ...event, message: { ...event.message } });
    this.evict(log);
  }

  async messages(channel: string, query: HistoryQuery): Promise<HistoryPage<Message>> {
    return this.page(`messages:${channel}`, query, (e) => e.message.messages ?? []);
  }

  async presence(channel: string, query: HistoryQuery): Promise<HistoryPage<PresenceMessage>> {
    return this.page(`presence:${channel}`, query, (e) => e.message.presence ?? []);
  }

  async messagesAfter(channel: string, afterSeq: number): Promise<ChannelEvent[] | undefined> {
    const log = this.logs.get(`messages:${channel}`);
    if (!log) return [];
    this.evict(log);
    if (afterSeq < log.evictedSeq) return undefined;
    return log.events.filter((e) => e.seq > afterSeq);
  }

  async recentMessages(channel: string, since = 0): Promise<ChannelEvent[]> {
    const log = this.logs.get(`messages:${channel}`);
    if (!log) return [];
    this.evict(log);
    return log.events.filter((e) => (e.message.timestamp ?? 0) >= since);
  }

  private evict(log: ChannelLog): void {
    const oldest = this.clock.now() - this.limits.maxAge;
    let drop = Math.max(0, log.events.length - this.limits.maxPerChannel);
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
    this.evict(log);
    return pageEvents(log.events, q, itemsOf);
  }
}
