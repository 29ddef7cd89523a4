import { packValue, unpackValue } from '../../cluster/cluster-message.ts';
import type { Message, PresenceMessage, ProtocolMessage } from '../../protocol/index.ts';
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
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import { decodePublished } from './published-event.ts';
import type { RedisClient } from './redis-client.ts';

const appendScript = new LuaScript('history-append', ['history-append']);
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
 * order), bounded by count and age by the append script. The server's events are kept by RedisBroker's publish
 * script (appendArgs), in the step that numbers and delivers them.
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
    const lasting = lastingPart(event);
    if (!lasting) return;
    const { keys, args } = this.appendArgs(kind, event.channel, event.message);
    const [ts, ...retention] = args;
    await guard(
      appendScript.run(this.redis, keys, [event.seq, Buffer.concat([Buffer.from(ts), packValue(lasting)]), ...retention]),
    );
  }

  /**
   * Keys and arguments of lib/history-append.lua for an event of `message` on `channel`, for the broker's publish
   * script to keep the event in the same step (RedisBroker): the entry's timestamp prefix, the count limit, the
   * oldest timestamp kept and the TTL.
   */
  appendArgs(
    kind: HistoryKind,
    channel: string,
    message: ProtocolMessage,
  ): { keys: string[]; args: [string, number, number, number] } {
    const ts = String(Math.max(0, Math.floor(message.timestamp ?? 0))).padStart(TS_DIGITS, '0');
    return {
      keys: [this.keys.history(kind, channel), this.keys.evicted(kind, channel)],
      args: [ts, this.maxCount(kind), this.clock.now() - this.limits.maxAge, this.limits.maxAge],
    };
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
    const event = entry && decodeEntry(channel, entry);
    if (!event) return undefined;
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
      events: entries.flatMap((e) => decodeEntry(channel, e) ?? []),
    };
  }
}

/**
 * An entry is `<timestamp><serial>\n<encoded channel-event>`, the bytes the broker's publish script delivered (a
 * serial starts with a digit), or `<timestamp><msgpack ChannelEvent>` (`append`, and entries written before the
 * publish script kept history; a msgpack map never starts with a digit). Ephemeral items were delivered, not kept.
 */
function decodeEntry(channel: string, entry: Buffer): ChannelEvent | undefined {
  const body = entry.subarray(TS_DIGITS);
  const first = body[0] ?? 0;
  const event = first >= 0x30 && first <= 0x39 ? decodePublished(channel, body) : unpackValue<ChannelEvent>(body);
  return event && lastingPart(event);
}
