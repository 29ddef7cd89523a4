import { packValue, unpackValue } from '../../cluster/cluster-message.ts';
import type { Message, PresenceMessage } from '../../protocol/index.ts';
import type { Clock } from '../../time/clock.ts';
import type { ChannelEvent } from '../broker.ts';
import { pageEvents } from '../history-page.ts';
import { type HistoryKind, type HistoryPage, type HistoryQuery, type HistoryStore, mergeBySeq } from '../history-store.ts';
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisClient } from './redis-client.ts';

const appendScript = new LuaScript('history-append');
const readScript = new LuaScript('history-read');

export interface RedisHistoryLimits {
  maxAge: number;
  maxPerChannel: number;
  /** Count limit of the `operations` kind (default: maxPerChannel). */
  maxOperationsPerChannel?: number;
}

/** Timestamps lead each entry as 16 digits, so the retention scripts can read an entry's age without decoding it. */
const TS_DIGITS = 16;

/**
 * History in Redis, shared by every node so REST and resume replay answer the same everywhere: one sorted set per
 * channel and kind, scored by the broker's seq (so entries sort in channel order even when nodes append out of
 * order), bounded by count and age by the append script.
 * Cannot: answer while Redis is unreachable (50300).
 */
export class RedisHistoryStore implements HistoryStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
    private readonly limits: RedisHistoryLimits,
  ) {}

  async append(kind: HistoryKind, event: ChannelEvent): Promise<void> {
    const ts = String(Math.max(0, Math.floor(event.message.timestamp ?? 0))).padStart(TS_DIGITS, '0');
    const entry = Buffer.concat([Buffer.from(ts), packValue(event)]);
    await guard(
      appendScript.run(
        this.redis,
        [this.keys.history(kind, event.channel), this.keys.evicted(kind, event.channel)],
        [event.seq, entry, this.maxCount(kind), this.clock.now() - this.limits.maxAge, this.limits.maxAge],
      ),
    );
  }

  async messages(channel: string, query: HistoryQuery): Promise<HistoryPage<Message>> {
    const { events } = await this.read('messages', channel, 0);
    return pageEvents(events, query, (e) => e.message.messages ?? []);
  }

  async presence(channel: string, query: HistoryQuery): Promise<HistoryPage<PresenceMessage>> {
    const { events } = await this.read('presence', channel, 0);
    return pageEvents(events, query, (e) => e.message.presence ?? []);
  }

  async messagesAfter(channel: string, afterSeq: number): Promise<ChannelEvent[] | undefined> {
    const [created, changed] = await Promise.all([
      this.read('messages', channel, afterSeq),
      this.read('operations', channel, afterSeq),
    ]);
    if (afterSeq < created.evicted || afterSeq < changed.evicted) return undefined;
    return mergeBySeq(created.events, changed.events);
  }

  async messageEvent(channel: string, seq: number): Promise<ChannelEvent | undefined> {
    const [entry] = await guard(this.redis.zrangebyscoreBuffer(this.keys.history('messages', channel), seq, seq));
    if (!entry) return undefined;
    const event = unpackValue<ChannelEvent>(entry.subarray(TS_DIGITS));
    return (event.message.timestamp ?? 0) < this.clock.now() - this.limits.maxAge ? undefined : event;
  }

  private maxCount(kind: HistoryKind): number {
    return kind === 'operations' ? (this.limits.maxOperationsPerChannel ?? this.limits.maxPerChannel) : this.limits.maxPerChannel;
  }

  async recentMessages(channel: string, since = 0): Promise<ChannelEvent[]> {
    // Reads the retained log (at most historyMaxPerChannel events); rewinds are rare, one per fresh attach.
    const { events } = await this.read('messages', channel, 0);
    return events.filter((e) => (e.message.timestamp ?? 0) >= since);
  }

  private async read(kind: HistoryKind, channel: string, afterSeq: number): Promise<{ evicted: number; events: ChannelEvent[] }> {
    const reply = (await guard(
      readScript.run(
        this.redis,
        [this.keys.history(kind, channel), this.keys.evicted(kind, channel)],
        [afterSeq, this.clock.now() - this.limits.maxAge],
      ),
    )) as Buffer[];
    const [evicted, ...entries] = reply;
    return {
      evicted: Number(evicted?.toString() ?? 0),
      events: entries.map((e) => unpackValue<ChannelEvent>(e.subarray(TS_DIGITS))),
    };
  }
}
