import { encodeClusterMessage } from '../../cluster/cluster-message.ts';
import { Action, type ProtocolMessage } from '../../protocol/index.ts';
import { systemClock } from '../../time/clock.ts';
import type { Broker, ChannelEvent, PublishOptions } from '../broker.ts';
import { type ChannelSerial, newEpoch, parseSerial } from '../serial.ts';
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import { decodePublished, numberedEvent } from './published-event.ts';
import type { RedisAnnotationStore } from './redis-annotation-store.ts';
import type { RedisClients } from './redis-client.ts';
import type { RedisHistoryStore } from './redis-history-store.ts';
import type { RedisMessageStore } from './redis-message-store.ts';

/** Channels whose latest serial is remembered (oldest forgotten first). */
const MAX_SEEN = 10_000;

const publishScript = new LuaScript('broker-publish', ['history-append', 'message-apply', 'annotation-list']);
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
 * publishes in the same atomic step, so every node receives a channel's events in one order; asked to, the same
 * script keeps the event in history, records a message operation or lists an annotation (one round trip, and the event's bytes sent
 * once). Each node holds one subscription per channel it has local attachments for, so it delivers each event to
 * its subscribers once.
 * Cannot: deliver anything while Redis is unreachable (publish fails with 50300; subscribers get nothing until
 * Redis returns, when ioredis re-subscribes); record an operation when built without a message store (throws).
 */
export class RedisBroker implements Broker {
  /** pub/sub channel name → channel key, for channels this node subscribes to. */
  private readonly subscribed = new Map<string, string>();
  private handler: (event: ChannelEvent) => void = () => {};
  /** Latest serial seen per channel, so numbering survives Redis losing it (see broker-publish.lua). Bounded. */
  private readonly seen = new Map<string, ChannelSerial>();

  /**
   * `history`: where publishes that ask for it are kept, `messages` where operations are recorded, and
   * `annotations` where annotations are listed, by the publish script itself (same hash slot).
   */
  constructor(
    private readonly clients: RedisClients,
    private readonly keys: RedisKeys,
    private readonly options: RedisBrokerOptions,
    private readonly history: RedisHistoryStore,
    private readonly messages?: RedisMessageStore,
    private readonly annotations?: RedisAnnotationStore,
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
    const kept = options?.history === undefined ? undefined : this.history.appendArgs(options.history, channel, message);
    if (options?.apply && !this.messages) throw new Error('RedisBroker built without a message store cannot record an operation');
    const applied = options?.apply && this.messages?.applyArgs(channel, options.apply);
    const annotation = options?.annotate ? message.annotations?.[0] : undefined;
    if (annotation && !this.annotations)
      throw new Error('RedisBroker built without an annotation store cannot list an annotation');
    const listed = annotation && this.annotations?.listArgs(channel, annotation);
    const reply = String(
      await guard(
        publishScript.run(
          this.clients.command,
          [
            k.seq(channel),
            k.epoch(channel),
            k.publishers(channel),
            k.publishedAt(channel),
            k.superseded(channel),
            ...(kept?.keys ?? []),
            ...(applied?.keys ?? []),
            ...(listed?.keys ?? []),
          ],
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
            ...(kept?.args ?? ['']),
            // An annotation's arguments follow the operation's, or a '' saying there is none.
            ...(applied?.args ?? (listed ? [''] : [])),
            ...(listed?.args ?? []),
          ],
        ),
      ),
    );
    if (reply === '!') return { channel, serial: '', seq: 0, origin, message, superseded: true };
    if (reply.startsWith('=')) {
      // A retransmission: delivered and numbered already; answer with the serial it got then.
      return { ...numberedEvent(channel, reply.slice(1), origin, message), duplicate: true };
    }
    return this.remember(numberedEvent(channel, reply, origin, message));
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
    const event = decodePublished(channel, payload);
    if (event) this.handler(this.remember(event));
  }

  /** Notes the channel's latest serial (what the publish script resumes numbering from if Redis lost it). */
  private remember(event: ChannelEvent): ChannelEvent {
    const parsed = parseSerial(event.serial) ?? { epoch: event.serial, seq: 0 };
    const last = this.seen.get(event.channel);
    if (!last || last.epoch !== parsed.epoch || last.seq < parsed.seq) {
      this.seen.delete(event.channel);
      this.seen.set(event.channel, parsed);
      if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.keys().next().value as string);
    }
    return event;
  }
}

/**
 * The msgSerial of a client's MESSAGE or single ANNOTATION (its id is `<connectionId>:<msgSerial>`, src/node/publish.ts,
 * src/node/annotate.ts; an ANNOTATION of several items publishes each under an id of its own, not covered), or
 * undefined for anything the high-water does not cover (presence, whose newness rules already make retransmissions no-ops;
 * REST and server-made events).
 */
function publishSerial(message: ProtocolMessage, origin: string | undefined): number | undefined {
  if (
    (message.action !== Action.MESSAGE && message.action !== Action.ANNOTATION) ||
    !origin ||
    !message.id?.startsWith(`${origin}:`)
  )
    return undefined;
  const serial = Number(message.id.slice(origin.length + 1));
  return Number.isSafeInteger(serial) && serial >= 0 ? serial : undefined;
}
