import type { Attachment } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import type { Node } from '../node/node.ts';
import type { PresenceMember } from '../presence/member.ts';
import { Action, Flag, type ProtocolMessage } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import { type ChannelSerial, formatSerial, parseSerial } from '../store/serial.ts';

/** Channels read from Redis at once during a replay (live events of every channel wait until theirs is done). */
const CONCURRENCY = 16;

/**
 * Most live events held per channel: past it the oldest are let go (the replay reads them back from history,
 * unless they were ephemeral), so a long outage cannot grow memory without bound.
 */
const MAX_HELD = 10_000;

/** What one replay did: channels replayed, and attachments told their continuity was lost. */
export interface ReplayResult {
  channels: number;
  replayed: number;
  lost: number;
}

/** Attachments that take channel messages (and so may have missed some): attached, connected, subscribed. */
function listeners(node: Node, key: string): Attachment[] {
  return [...node.channels.attachments(key)].filter(
    (att) =>
      att.state === 'attached' &&
      att.connection.transport !== undefined &&
      att.modes & (Flag.SUBSCRIBE | Flag.ANNOTATION_SUBSCRIBE),
  );
}

/**
 * Gives this node's clients the channel messages (creates, operations, annotations, summaries) that other nodes
 * published while this node's subscription to the broker was down, in order and once each.
 *
 * From the moment a subscription connection drops ({@link suspend}) every live event is held here per channel,
 * so nothing that arrives after the subscription is restored can overtake what was missed. Once the link is up
 * again, {@link replay} reads, for each channel with subscribed attachments, the retained messages and operations
 * after the lowest seq its attachments were sent (the history that resume replays from), merges them with the
 * held events by seq (one copy of each), and hands them to the attachments in order; each attachment skips what
 * it already has (`lastSeq`). Presence is not replayed: the presence re-sync sends a fresh SYNC instead.
 *
 * Where retention has dropped part of what an attachment missed (or the channel's numbering was lost), no replay
 * can be complete: that attachment is sent ATTACHED without RESUMED and with error 90003, as Ably signals lost
 * continuity (RTL18; the SDK emits an `update` with `resumed: false`, and the app re-reads history), followed by
 * a SYNC of the channel's members, and gets live events from the channel's current serial on.
 *
 * Cannot: replay ephemeral messages (never retained), or an event whose publisher's node died between publishing
 * it and appending it to history (as resume cannot). An event published just before the subscription came back
 * whose publisher has not yet appended it when the channel is read is missed too; the window is the publisher's
 * one round trip to Redis, against this node's several before it reads.
 */
export class MissedMessages {
  /** Live events held per channel since the subscription was lost; undefined while nothing is held. */
  private holding: Map<string, ChannelEvent[]> | undefined;
  /** Counts losses, so a replay that a new loss overtook keeps holding. */
  private losses = 0;

  constructor(private readonly node: Node) {
    node.intercept = (event) => {
      if (!this.holding) return false;
      const held = this.holding.get(event.channel);
      if (!held) this.holding.set(event.channel, [event]);
      else if (held.push(event) > MAX_HELD) held.shift();
      return true;
    };
  }

  /** Whether live events are being held (a replay is due). */
  get suspended(): boolean {
    return this.holding !== undefined;
  }

  /** The subscription dropped: hold live events until {@link replay} has run. */
  suspend(): void {
    this.losses++;
    this.holding ??= new Map();
  }

  /**
   * Replays every channel and then releases what is still held. Rejects when the backend fails (everything not yet
   * replayed stays held for the next try). If the subscription dropped again meanwhile, it keeps holding.
   */
  async replay(): Promise<ReplayResult> {
    const result: ReplayResult = { channels: 0, replayed: 0, lost: 0 };
    if (!this.holding) return result;
    const losses = this.losses;
    const done = new Set<string>();
    const worker = async () => {
      for (let key = this.nextChannel(done); key !== undefined; key = this.nextChannel(done)) {
        done.add(key);
        await this.replayChannel(key, result);
      }
    };
    // Every worker ends before this does (a failed channel stops only its own worker): no replay overlaps another.
    const failed = (await Promise.allSettled(Array.from({ length: CONCURRENCY }, worker))).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (losses !== this.losses || !this.holding) return result;
    // Channels replayed earlier may have received events since: they follow, in order.
    const rest = this.holding;
    this.holding = undefined;
    for (const events of rest.values()) for (const event of events) this.node.fanOut(event);
    return result;
  }

  /** A channel not yet replayed: one with local attachments, or one with held events. */
  private nextChannel(done: Set<string>): string | undefined {
    for (const key of this.node.channels.channels()) if (!done.has(key)) return key;
    for (const key of this.holding?.keys() ?? []) if (!done.has(key)) return key;
    return undefined;
  }

  private async replayChannel(key: string, result: ReplayResult): Promise<void> {
    const node = this.node;
    let missed: ChannelEvent[] = [];
    let lost: Attachment[] = [];
    let current: ChannelSerial | undefined;
    let members: PresenceMember[] = [];
    const waiting = listeners(node, key);
    if (waiting.length > 0) {
      current = parseSerial(await node.broker.currentSerial(key));
      const seqs = [...new Set(waiting.map((att) => att.lastSeq))].sort((a, b) => a - b);
      // A numbering that went backwards (Redis lost it, and no node remembered it) continues nobody's sequence.
      const continuous = seqs.filter((seq) => current !== undefined && seq <= current.seq);
      // Retention drops the oldest first: find the lowest point still covered, and replay from there.
      let from: number | undefined;
      for (const seq of continuous) {
        const events = await node.history.messagesAfter(key, seq);
        if (events === undefined) continue;
        missed = events;
        from = seq;
        break;
      }
      const ahead = (att: Attachment) => current !== undefined && att.lastSeq > current.seq;
      lost = waiting.filter((att) => from === undefined || att.lastSeq < from || ahead(att));
      if (lost.some((att) => att.modes & Flag.PRESENCE_SUBSCRIBE && !att.derived))
        members = await node.presence.store.members(key);
    }
    // From here on nothing waits: no event of this channel can slip between the replay and what was held.
    const held = this.holding?.get(key) ?? [];
    this.holding?.delete(key);
    for (const att of lost) {
      if (!current || att.state !== 'attached' || !att.connection.transport) continue;
      this.continuityLost(att, current, members);
      result.lost++;
    }
    const live = new Set(held.map((e) => e.seq));
    for (const event of mergeUnique(missed, held)) node.fanOut(event);
    if (waiting.length > 0) result.channels++;
    result.replayed += missed.filter((e) => !live.has(e.seq)).length;
  }

  /** RTL18: ATTACHED without RESUMED, error 90003, then the members; the attachment goes on from `current`. */
  private continuityLost(att: Attachment, current: ChannelSerial, members: PresenceMember[]): void {
    att.lastSeq = current.seq;
    // Like a fresh attach: messages from before now may be ones the client never saw whole (see deliver.ts).
    att.viewSeq = current.seq;
    att.known.clear();
    const presence = (att.modes & Flag.PRESENCE_SUBSCRIBE) !== 0 && !att.derived;
    const attached: ProtocolMessage = {
      action: Action.ATTACHED,
      channel: att.name,
      flags: att.modes | (presence && members.length > 0 ? Flag.HAS_PRESENCE : 0),
      channelSerial: formatSerial(current),
      error: ErrorInfo.of('channelHistoryExpired', 'messages were missed while this node was cut off from Redis').toWire(),
    };
    att.connection.send(attached);
    if (presence && members.length > 0) {
      for (const page of this.node.presence.syncPages(att.name, members, this.node.config.syncPageSize))
        att.connection.send(page);
    }
  }
}

/** Two seq-ordered lists as one, each seq once (the live copy wins: history may hold a trimmed one). */
function mergeUnique(replayed: ChannelEvent[], live: ChannelEvent[]): ChannelEvent[] {
  if (replayed.length === 0) return live;
  const bySeq = new Map<number, ChannelEvent>();
  for (const e of replayed) bySeq.set(e.seq, e);
  for (const e of live) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
