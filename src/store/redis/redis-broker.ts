import { decodeClusterMessage, encodeClusterMessage } from '../../cluster/cluster-message.ts';
import { Action, type ProtocolMessage } from '../../protocol/index.ts';
import { systemClock } from '../../time/clock.ts';
import type { Broker, ChannelEvent, PublishOptions } from '../broker.ts';
import { type ChannelSerial, formatSerial, newEpoch, parseSerial } from '../serial.ts';
import { stampSerial } from '../stamp.ts';
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisClients } from './redis-client.ts';

/** Channels whose latest serial is remembered (oldest forgotten first). */
const MAX_SEEN = 10_000;

const publishScript = new LuaScript('broker-publish');
const currentScript = new LuaScript('broker-current');

export interface RedisBrokerOptions {
  /** Use SPUBLISH/SSUBSCRIBE (Redis ≥ 7, sharded pub/sub); PUBLISH/SUBSCRIBE otherwise. */
  sharded: boolean;
  /** How long an idle channel's numbering is kept, ms (with its history: continuity needs both). */
  numberingTtl: number;
  /**
   * How long a connection's publish high-water per channel is kept, ms: as long as it may resume (on any node) and
   * retransmit unacknowledged publishes. 0 turns the check off.
   */
  retransmitWindow: number;
  /**
   * Wall time for a fresh epoch (used only if the channel has none in Redis: first use, or Redis lost it and no
   * node remembers it), so the new numbering sorts after the lost one as long as the nodes' clocks roughly agree.
   */
  now?: () => number;
}

/**
 * Channel fan-out across nodes through Redis. The publish script assigns the channel's next serial (INCR) and
 * publishes in the same atomic step, so every node receives a channel's events in one order. Each node holds one
 * subscription per channel it has local attachments for, so it delivers each event to its subscribers once.
 * Cannot: deliver anything while Redis is unreachable (publish fails with 50300; subscribers get nothing until
 * Redis returns, when ioredis re-subscribes).
 */
export class RedisBroker implements Broker {
  /** pub/sub channel name → channel key, for channels this node subscribes to. */
  private readonly subscribed = new Map<string, string>();
  private handler: (event: ChannelEvent) => void = () => {};
  /** Latest serial seen per channel, so numbering survives Redis losing it (see broker-publish.lua). Bounded. */
  private readonly seen = new Map<string, ChannelSerial>();

  constructor(
    private readonly clients: RedisClients,
    private readonly keys: RedisKeys,
    private readonly options: RedisBrokerOptions,
  ) {
    const onMessage = (name: Buffer, payload: Buffer) => this.receive(name.toString(), payload);
    // Both kinds: `sharded` may be settled after construction (once the server version is known).
    clients.subscriber.on('smessageBuffer', onMessage);
    clients.subscriber.on('messageBuffer', onMessage);
  }

  async publish(channel: string, message: ProtocolMessage, origin?: string, options?: PublishOptions): Promise<ChannelEvent> {
    const payload = encodeClusterMessage({ type: 'channel-event', origin, message });
    const k = this.keys;
    const last = this.seen.get(channel);
    const msgSerial = this.options.retransmitWindow > 0 ? publishSerial(message, origin) : undefined;
    const reply = String(
      await guard(
        publishScript.run(
          this.clients.command,
          [k.seq(channel), k.epoch(channel), k.publishers(channel), k.publishedAt(channel), k.superseded(channel)],
          [
            last?.epoch ?? newEpoch((this.options.now ?? systemClock.now)()),
            k.events(channel),
            payload,
            this.options.sharded ? '1' : '0',
            this.options.numberingTtl,
            last?.seq ?? 0,
            msgSerial === undefined ? '' : (origin as string),
            msgSerial ?? '',
            this.options.retransmitWindow,
            options?.supersede?.key ?? '',
            options?.supersede?.version ?? 0,
          ],
        ),
      ),
    );
    if (reply === '!') return { channel, serial: '', seq: 0, origin, message, superseded: true };
    if (reply.startsWith('=')) {
      // A retransmission: delivered and numbered already; answer with the serial it got then.
      const serial = reply.slice(1);
      const parsed = parseSerial(serial) ?? { epoch: serial, seq: 0 };
      const canonical = formatSerial(parsed);
      return { channel, serial: canonical, seq: parsed.seq, origin, message: stampSerial(message, canonical), duplicate: true };
    }
    return this.event(channel, reply, origin, message);
  }

  async subscribe(channel: string): Promise<void> {
    const name = this.keys.events(channel);
    if (this.subscribed.get(name) === channel) return;
    this.subscribed.set(name, channel);
    const sub = this.clients.subscriber;
    try {
      await guard(this.options.sharded ? sub.ssubscribe(name) : sub.subscribe(name));
    } catch (err) {
      this.subscribed.delete(name);
      throw err;
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    const name = this.keys.events(channel);
    if (!this.subscribed.delete(name)) return;
    this.seen.delete(channel);
    const sub = this.clients.subscriber;
    await guard(this.options.sharded ? sub.sunsubscribe(name) : sub.unsubscribe(name));
  }

  onEvent(handler: (event: ChannelEvent) => void): void {
    this.handler = handler;
  }

  async currentSerial(channel: string): Promise<string> {
    const k = this.keys;
    const last = this.seen.get(channel);
    const reply = await guard(
      currentScript.run(
        this.clients.command,
        [k.seq(channel), k.epoch(channel)],
        [last?.epoch ?? newEpoch((this.options.now ?? systemClock.now)()), this.options.numberingTtl, last?.seq ?? 0],
      ),
    );
    return String(reply);
  }

  async close(): Promise<void> {
    this.subscribed.clear();
  }

  /** `<serial>\n<cluster message>` from the publish script. */
  private receive(name: string, payload: Buffer): void {
    const channel = this.subscribed.get(name);
    if (channel === undefined) return;
    const nl = payload.indexOf(10);
    if (nl < 0) return;
    const decoded = decodeClusterMessage(payload.subarray(nl + 1));
    if (decoded?.type !== 'channel-event') return;
    this.handler(this.event(channel, payload.subarray(0, nl).toString(), decoded.origin, decoded.message));
  }

  private event(channel: string, serial: string, origin: string | undefined, message: ProtocolMessage): ChannelEvent {
    const parsed = parseSerial(serial) ?? { epoch: serial, seq: 0 };
    const canonical = formatSerial(parsed);
    const last = this.seen.get(channel);
    if (!last || last.epoch !== parsed.epoch || last.seq < parsed.seq) {
      this.seen.delete(channel);
      this.seen.set(channel, parsed);
      if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.keys().next().value as string);
    }
    return { channel, serial: canonical, seq: parsed.seq, origin, message: stampSerial(message, canonical) };
  }
}

/**
 * The msgSerial of a client's MESSAGE (its id is `<connectionId>:<msgSerial>`, src/node/publish.ts), or undefined for
 * anything the high-water does not cover (presence, whose newness rules already make retransmissions no-ops;
 * REST and server-made events).
 */
function publishSerial(message: ProtocolMessage, origin: string | undefined): number | undefined {
  if (message.action !== Action.MESSAGE || !origin || !message.id?.startsWith(`${origin}:`)) return undefined;
  const serial = Number(message.id.slice(origin.length + 1));
  return Number.isSafeInteger(serial) && serial >= 0 ? serial : undefined;
}
