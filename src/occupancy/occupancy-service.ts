import { randomBytes } from 'node:crypto';
import type { Attachment, Connection } from '../connection/connection.ts';
import { Flag } from '../protocol/index.ts';
import type { NodeChannelCounts, OccupancyStore } from '../store/occupancy-store.ts';
import type { Clock, TimerHandle } from '../time/clock.ts';
import { occupancyMessage } from './meta-message.ts';
import {
  type AttachmentCounts,
  addCounts,
  type ChannelMetrics,
  channelMetrics,
  countAttachments,
  encodeCounts,
  isEmptyCounts,
  NO_ATTACHMENTS,
} from './metrics.ts';

export interface OccupancyDeps {
  /** This node's id: its counts in the store are filed under it. */
  nodeId: string;
  clock: Clock;
  /** Changes within this window (ms) are merged: at most one store write and one event per channel per window. */
  interval: number;
  store: OccupancyStore;
  /** This node's attachments of a channel (namespaced key). */
  attachments(channel: string): Iterable<Attachment>;
  /** The channel's presence members, cluster-wide. */
  presenceCount(channel: string): Promise<number>;
  fail(err: unknown): void;
}

const NO_COUNTS = encodeCounts(NO_ATTACHMENTS);

/**
 * A channel's occupancy, one source for REST (`channel.status()`, Chat's `occupancy.get()`) and for the
 * `[meta]occupancy` events of attachments that asked for them (`occupancy=metrics`).
 *
 * Cost on the hot path: an attach, detach, drop or presence change only marks its channel dirty (a Set insert). Once
 * per `interval`, dirty channels are recounted from this node's attachments; changed counts are written to the
 * shared store in one batch and announced to the other nodes (cluster mode), and channels with listeners here get
 * one event each, only when their metrics changed. A node's counts are what its live attachments grant; presence
 * members come from the presence store, so both are cluster-wide. REST adds this node's live counts to the others'
 * stored ones, so it reads its own writes at once and other nodes' within one interval.
 */
export class OccupancyService {
  private readonly dirty = new Set<string>();
  /** This node's counts as last written to the store, per channel (absent = none). */
  private readonly written = new Map<string, string>();
  /** Channels whose last write failed (backend down): rewritten by {@link reassert}. */
  private readonly unsaved = new Set<string>();
  /** Attachments that asked for events, per channel, with the metrics last sent to each ('' = none yet). */
  private readonly listeners = new Map<string, Map<Attachment, string>>();
  private timer: TimerHandle | undefined;
  private flushing = false;
  private failing = false;
  /** Shut down: nothing is written any more (a late write would outlive this node's removal from the store). */
  private closed = false;
  private announce: ((channels: string[]) => void) | undefined;
  private readonly idPrefix = `occ-${randomBytes(4).toString('hex')}`;
  private sent = 0;

  constructor(private readonly d: OccupancyDeps) {}

  /** Cluster mode: how to tell other nodes that this node's counts changed on some channels. */
  announceWith(announce: (channels: string[]) => void): void {
    this.announce = announce;
  }

  /** This node's attachments of the channel changed (attach, detach, modes). */
  touch(channel: string): void {
    if (this.closed) return;
    this.dirty.add(channel);
    this.touchLater();
  }

  /** A connection dropped or came back: its attachments stop or start counting. */
  connectionChanged(conn: Connection): void {
    for (const att of conn.attachments.values()) this.touch(att.channel);
  }

  /** Presence members changed on a channel (any node): only listeners here care. */
  presenceChanged(channel: string): void {
    if (this.listeners.has(channel)) this.touch(channel);
  }

  /** Other nodes' counts changed on these channels (a cluster announcement, or a node reaped). */
  remoteChanged(channels: Iterable<string>): void {
    for (const channel of channels) if (this.listeners.has(channel)) this.touch(channel);
  }

  /** The attachment asked for occupancy events: it gets the current metrics now, then every change. */
  listen(att: Attachment): void {
    let byAtt = this.listeners.get(att.channel);
    if (!byAtt) this.listeners.set(att.channel, (byAtt = new Map()));
    byAtt.set(att, '');
    this.metrics(att.channel)
      .then((metrics) => {
        if (this.listeners.get(att.channel)?.get(att) !== '') return;
        this.sendTo([att], att.name, metrics);
      })
      .catch((err) => this.report(err));
  }

  /** The attachment is gone or re-attached without the param. */
  unlisten(att: Attachment): void {
    const byAtt = this.listeners.get(att.channel);
    if (!byAtt?.delete(att)) return;
    if (byAtt.size === 0) this.listeners.delete(att.channel);
  }

  /** A channel's occupancy across the cluster: this node's live attachments, the others' stored counts, members. */
  async metrics(channel: string): Promise<ChannelMetrics> {
    const [counts, members] = await Promise.all([this.attachmentCounts(channel), this.d.presenceCount(channel)]);
    return channelMetrics(counts, members);
  }

  /** A channel's attachments across the cluster: this node's live ones, the others' as stored. */
  async attachmentCounts(channel: string): Promise<AttachmentCounts> {
    return addCounts(this.localCounts(channel), await this.d.store.others(channel, this.d.nodeId));
  }

  /** Channels with attachments on some node of the cluster (this node's as last written, the others' as stored). */
  activeChannels(): Promise<string[]> {
    return this.d.store.activeChannels();
  }

  /**
   * Rewrites this node's counts on every channel it holds (cluster pass: refreshes the store's TTL backstop, and
   * repairs what was lost while the backend was down or after it lost its data).
   */
  async reassert(): Promise<void> {
    if (this.closed) return;
    const channels = new Set([...this.written.keys(), ...this.unsaved]);
    this.unsaved.clear();
    const entries: NodeChannelCounts[] = [];
    for (const channel of channels) {
      const counts = this.localCounts(channel);
      this.remember(channel, counts);
      entries.push({ channel, counts });
    }
    await this.write(entries);
  }

  /** Clears a node's counts (reaped as dead, or this node leaving) and lets everyone recount those channels. */
  async removeNode(nodeId: string): Promise<void> {
    const channels = await this.d.store.removeNode(nodeId);
    if (nodeId === this.d.nodeId) this.written.clear();
    if (channels.length === 0) return;
    this.announce?.(channels);
    this.remoteChanged(channels);
  }

  /**
   * Shutdown: stops the timer and ignores later changes (clients dropping as the server stops), so nothing is
   * written after the cluster layer removes this node's counts. Pending changes are dropped.
   */
  close(): void {
    this.closed = true;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty.clear();
  }

  /** Attachments of live connections count; one waiting to resume does not until it is back. */
  private localCounts(channel: string): AttachmentCounts {
    const modes: number[] = [];
    for (const att of this.d.attachments(channel)) if (att.connection.state === 'connected') modes.push(att.modes);
    return countAttachments(modes);
  }

  private remember(channel: string, counts: AttachmentCounts): void {
    if (isEmptyCounts(counts)) this.written.delete(channel);
    else this.written.set(channel, encodeCounts(counts));
  }

  private flush(): void {
    this.timer = undefined;
    if (this.flushing) {
      // The previous pass is still waiting on the store; this one follows it.
      this.touchLater();
      return;
    }
    this.flushing = true;
    this.pass()
      .catch((err) => this.report(err))
      .finally(() => {
        this.flushing = false;
        if (this.dirty.size > 0) this.touchLater();
      });
  }

  private touchLater(): void {
    if (!this.timer && !this.closed) this.timer = this.d.clock.setTimeout(() => this.flush(), this.d.interval);
  }

  private async pass(): Promise<void> {
    const channels = [...this.dirty];
    this.dirty.clear();
    const changed: NodeChannelCounts[] = [];
    for (const channel of channels) {
      const counts = this.localCounts(channel);
      if ((this.written.get(channel) ?? NO_COUNTS) === encodeCounts(counts)) continue;
      this.remember(channel, counts);
      changed.push({ channel, counts });
    }
    await this.write(changed);
    await Promise.all(channels.filter((c) => this.listeners.has(c)).map((c) => this.sendChannel(c)));
  }

  private async write(entries: NodeChannelCounts[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.d.store.write(this.d.nodeId, entries);
      this.failing = false;
    } catch (err) {
      for (const e of entries) this.unsaved.add(e.channel);
      this.report(err);
      return;
    }
    this.announce?.(entries.map((e) => e.channel));
  }

  private async sendChannel(channel: string): Promise<void> {
    let metrics: ChannelMetrics;
    try {
      metrics = await this.metrics(channel);
    } catch (err) {
      return this.report(err);
    }
    this.failing = false;
    const byAtt = this.listeners.get(channel);
    const first = byAtt?.keys().next().value;
    if (byAtt && first) this.sendTo(byAtt.keys(), first.name, metrics);
  }

  /** Sends the metrics to each attachment that has not had exactly these yet; one message, encoded once per format. */
  private sendTo(atts: Iterable<Attachment>, name: string, metrics: ChannelMetrics): void {
    const key = `${encodeCounts(metrics)},${metrics.presenceMembers}`;
    let message: ReturnType<typeof occupancyMessage> | undefined;
    for (const att of atts) {
      const byAtt = this.listeners.get(att.channel);
      if (!byAtt || byAtt.get(att) === key) continue;
      if (att.state !== 'attached' || !(att.modes & Flag.SUBSCRIBE) || !att.connection.transport) continue;
      message ??= occupancyMessage(name, `${this.idPrefix}:${this.sent++}`, this.d.clock.now(), metrics);
      byAtt.set(att, key);
      att.connection.sendShared(message);
    }
  }

  /** Backend failures are reported once until it works again (an outage would otherwise log every interval). */
  private report(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.d.fail(err);
  }
}
