import type { Config } from '../config/index.ts';
import type { Node } from '../node/node.ts';
import type { PresenceCause } from '../presence/presence-service.ts';
import { RemovalCutShort } from '../store/presence-store.ts';
import type { Clock, TimerHandle } from '../time/clock.ts';
import type { ClusterBus, ClusterLink } from './cluster-bus.ts';
import type { ClusterMessage } from './cluster-message.ts';
import type { ChannelDiffs, ClusterPresenceStore } from './cluster-presence-store.ts';
import { MissedMessages } from './missed-messages.ts';
import type { NodeRegistry } from './node-registry.ts';
import { resyncPresence } from './presence-resync.ts';

export interface ClusterDeps {
  node: Node;
  config: Config;
  clock: Clock;
  store: ClusterPresenceStore;
  registry: NodeRegistry;
  bus: ClusterBus;
  link: ClusterLink;
}

/**
 * This node's part in the cluster, one tick every nodeHeartbeatInterval:
 * - heartbeat to the registry;
 * - reap nodes silent for nodeDownTimeout: their connections become abrupt disconnects whose members keep their own
 *   grace period and leave through the sweep (each LEAVE once, by claim);
 * - sweep grace periods that ended for connections whose node is gone (or shut down);
 * - occupancy: clear a reaped node's counts, rewrite this node's with every re-assert, and relay other nodes'
 *   `occupancy-changed` announcements to the OccupancyService;
 * - every memberTtl / 3, and whenever the link comes back, re-assert this node's members (TTL backstop refresh,
 *   and repair after Redis lost them: every member checked after the link came back or a reap, and every
 *   THOROUGH_REASSERT_EVERY passes) and drop the ones Redis still holds for connections that ended meanwhile;
 * - when the link comes back after a subscription dropped, replay to local subscribers the channel messages
 *   other nodes published meanwhile, live events held until then (missed-messages.ts), and re-sync local presence
 *   subscribers from Redis (presence-resync.ts): none of those events reached this node.
 * Nothing runs while the link is down; local clients keep being served by the Node.
 * Observers can follow it on `node.events`: `cluster-link` (up: boolean), `cluster-reasserted`.
 */
/**
 * Every this many re-assert passes, one checks every member even with no sign of loss. The periodic pass compares
 * only how many members Redis holds per connection and channel, so a loss that keeps the count (a lost enter and a
 * lost leave on one connection, in a failover the link survived) is repaired within this many passes.
 */
export const THOROUGH_REASSERT_EVERY = 10;

export class Cluster {
  private timer: TimerHandle | undefined;
  private busy = false;
  /** Since when the link has been up: reaping waits nodeDownTimeout after that, so others can beat again first. */
  private upSince: number;
  private lastReassert: number;
  private reassertWanted = false;
  private passesSinceThorough = 0;
  /** Set when the link comes back: presence events from other nodes may have been missed meanwhile. */
  private resyncWanted = false;
  /** Holds live channel events from a subscription's loss until what was missed meanwhile is replayed. */
  private readonly missed: MissedMessages;
  private replaying = false;

  constructor(private readonly d: ClusterDeps) {
    this.missed = new MissedMessages(d.node);
    d.link.onSubscriptionsLost(() => this.missed.suspend());
    this.upSince = d.clock.now();
    this.lastReassert = d.clock.now();
    d.bus.onMessage((m) => this.onMessage(m));
    d.node.occupancy.announceWith((channels) => {
      d.bus.publish({ type: 'occupancy-changed', nodeId: this.nodeId, channels }).catch(d.node.fail);
    });
    d.link.onChange((up) => {
      d.node.events.emit('cluster-link', up);
      if (!up) return this.d.node.logger.error({ nodeId: this.nodeId }, 'cluster: Redis unreachable; serving local clients only');
      this.d.node.logger.info({ nodeId: this.nodeId }, 'cluster: Redis reachable again; re-asserting members');
      this.upSince = this.d.clock.now();
      this.reassertWanted = true;
      this.resyncWanted = true;
      this.tick();
    });
  }

  get nodeId(): string {
    return this.d.config.serverId;
  }

  /** Whether the shared backend is reachable (readiness). */
  healthy(): boolean {
    return this.d.link.isUp();
  }

  start(): void {
    this.timer = this.d.clock.setInterval(() => this.tick(), this.d.config.nodeHeartbeatInterval);
    this.tick();
  }

  /** Stops ticking and leaves the registry; connections' grace periods stay in Redis for the survivors to end. */
  async stop(): Promise<void> {
    if (this.timer) this.d.clock.clearInterval(this.timer);
    this.timer = undefined;
    if (!this.d.link.isUp()) return;
    await this.d.registry.forget(this.nodeId).catch(this.d.node.fail);
    // This node's attachments stop counting now; its clients reattach elsewhere and are counted there.
    await this.d.node.occupancy.removeNode(this.nodeId).catch(this.d.node.fail);
  }

  /** One pass; skipped when the previous one is still running (but the heartbeat is not) or the link is down. */
  tick(): void {
    this.replayMissed();
    if (!this.d.link.isUp()) return;
    if (this.busy) {
      // A re-assert pass is one round trip after another per member and can outlast nodeDownTimeout on a node with
      // many members: without this beat its peers would take it for dead and reap its members meanwhile.
      this.d.registry
        .beat(this.nodeId, this.d.clock.now())
        .catch((err) => this.d.node.logger.error({ err }, 'cluster: heartbeat failed'));
      return;
    }
    this.busy = true;
    this.pass()
      .catch((err) => this.d.node.logger.error({ err }, 'cluster: heartbeat pass failed'))
      .finally(() => {
        this.busy = false;
      });
  }

  /**
   * Replays what local subscribers missed while a subscription was down, once the link is up; retried every tick
   * until it succeeds. Apart from the pass: every channel's live events wait for it, and the heartbeats must not
   * (a pass that outlasts nodeDownTimeout gets this node reaped).
   */
  private replayMissed(): void {
    if (this.replaying || !this.missed.suspended || !this.d.link.isUp()) return;
    this.replaying = true;
    this.missed
      .replay()
      .then((r) =>
        this.d.node.logger.info(
          { nodeId: this.nodeId, ...r },
          `cluster: replayed ${r.replayed} missed messages on ${r.channels} channels; ${r.lost} attachments lost continuity`,
        ),
      )
      .catch((err) => this.d.node.logger.error({ err }, 'cluster: replaying missed messages failed; retrying'))
      .finally(() => {
        this.replaying = false;
      });
  }

  private async pass(): Promise<void> {
    const { clock, config, registry, store } = this.d;
    const now = clock.now();
    await registry.beat(this.nodeId, now);
    if (this.reassertWanted || now - this.lastReassert >= config.memberTtl / 3) {
      // Wanted: Redis may have lost members (the link came back, this node was reaped), so every member is
      // checked, until a pass gets through; the periodic pass only refreshes TTLs where Redis holds what this node has,
      // and every THOROUGH_REASSERT_EVERY-th checks every member anyway.
      const thorough = this.reassertWanted || ++this.passesSinceThorough >= THOROUGH_REASSERT_EVERY;
      if (thorough) this.passesSinceThorough = 0;
      this.reassertWanted = false;
      this.lastReassert = now;
      // Members of connections that ended while Redis was unreachable (closed or expired meanwhile).
      // The live map itself, not a copy: the pass takes many round trips, and clients connect meanwhile.
      await this.settle(store.reassert(this.d.node.connections, now, thorough), 'close').catch((err) => {
        if (thorough) this.reassertWanted = true;
        throw err;
      });
      await this.d.node.occupancy.reassert();
      if (this.resyncWanted) {
        const channels = await resyncPresence(this.d.node);
        this.resyncWanted = false;
        this.d.node.logger.info(
          { nodeId: this.nodeId, channels },
          `cluster: re-synced presence subscribers on ${channels} channels`,
        );
      }
      this.d.node.events.emit('cluster-reasserted');
    }
    if (now - this.upSince >= config.nodeDownTimeout) {
      for (const dead of await registry.silentSince(now - config.nodeDownTimeout)) {
        if (dead === this.nodeId) continue;
        if (!(await registry.claimReap(dead, this.nodeId, config.nodeDownTimeout))) continue;
        const removed = await this.settle(store.removeNode(dead, clock.now()), 'node-down');
        this.d.node.logger.warn(
          { nodeId: this.nodeId, deadNode: dead, membersLeft: count(removed) },
          `cluster: node ${dead} is down; ${count(removed)} of its members left`,
        );
        await this.d.node.occupancy.removeNode(dead);
        await registry.forget(dead);
        await this.d.bus.publish({ type: 'node-down', nodeId: dead, by: this.nodeId });
      }
    }
    await this.settle(store.sweepLeaves(clock.now()), 'timeout');
  }

  /**
   * Broadcasts what a store operation removed (and wrote back), also when it failed partway: those members are gone
   * from Redis all the same and no later call returns them, so their LEAVEs go out now (then the failure is thrown).
   */
  private async settle(work: Promise<ChannelDiffs>, cause: PresenceCause): Promise<ChannelDiffs> {
    let removed: ChannelDiffs;
    try {
      removed = await work;
    } catch (err) {
      if (err instanceof RemovalCutShort) await this.broadcast(err.removed, cause);
      throw err;
    }
    await this.broadcast(removed, cause);
    return removed;
  }

  private async broadcast(removed: ChannelDiffs, cause: PresenceCause): Promise<void> {
    for (const r of removed) await this.d.node.presence.broadcastLeaves(r.channel, r.diff, r.cause ?? cause);
  }

  private onMessage(m: ClusterMessage): void {
    if (m.type === 'occupancy-changed') {
      if (m.nodeId !== this.nodeId) this.d.node.occupancy.remoteChanged(m.channels);
      return;
    }
    if (m.type === 'node-down' && m.nodeId === this.nodeId) {
      // Another node took this one for dead (it stalled past nodeDownTimeout) and removed its members: they are
      // still here, so write them back (and announce them) on the next pass.
      this.d.node.logger.warn({ by: m.by }, 'cluster: another node reaped this one as down; re-asserting its members');
      this.reassertWanted = true;
      return;
    }
    if (m.type !== 'connection-moved' || m.to === this.nodeId) return;
    // The client resumed on another node: drop the stale copy here. Its members now belong to that node, so
    // dispose's removal is refused by the store and nobody sees a LEAVE.
    const conn = this.d.node.connections.get(m.connectionId);
    if (!conn) return;
    conn.transport?.close(1000, 'resumed on another node');
    this.d.node.dispose(conn, 'resumed on another node', 'moved').catch(this.d.node.fail);
  }
}

const count = (removed: ChannelDiffs): number => removed.reduce((n, r) => n + r.diff.left.length, 0);
