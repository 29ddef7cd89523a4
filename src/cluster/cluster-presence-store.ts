import type { PresenceDiff } from '../presence/member.ts';
import type { PresenceCause } from '../presence/presence-service.ts';
import type { PresenceStore } from '../store/presence-store.ts';

/** Members removed on one channel by one cluster-level operation; each diff is broadcast by whoever got it. */
export type ChannelDiffs = Array<{
  channel: string;
  diff: PresenceDiff;
  /** Why, when it differs from the operation's own (a grace period that began with its node's death: `node-down`). */
  cause?: PresenceCause;
}>;

/**
 * What the cluster layer needs from a shared presence store on top of {@link PresenceStore}. Every method is a
 * claim: when several nodes run it at once, each removed member is returned to exactly one of them. One that fails
 * partway throws RemovalCutShort with what it did change (src/store/presence-store.ts), for the caller to broadcast.
 */
export interface ClusterPresenceStore extends PresenceStore {
  /**
   * Takes over the connections a dead node still owned (not those that resumed elsewhere). For their clients the
   * death is an abrupt disconnect: a backend that can keep their grace periods (Redis) schedules them, so their
   * members leave through {@link sweepLeaves} when their own remainPresentFor ends; members it must remove now are
   * returned.
   */
  removeNode(nodeId: string, timestamp: number): Promise<ChannelDiffs>;
  /** Removes the members of disconnected connections whose grace period ended by `now`, whichever node scheduled it. */
  sweepLeaves(now: number): Promise<ChannelDiffs>;
  /** Records that the connection's members will leave at `leaveAt` unless it resumes (survives this node dying). */
  scheduleLeave(connectionId: string, leaveAt: number): Promise<void>;
  /** Takes over a connection that resumed on this node: its members become this node's to re-assert. */
  adopt(connectionId: string): Promise<void>;
  /**
   * After Redis lost or may have lost state: writes back the members of `live` connections this node holds and
   * removes members of connections it owned that are no longer live. Also refreshes TTL backstops. Members written
   * back come as `entered` (others may have seen them leave: a racing grace-period removal, or this node wrongly
   * reaped as dead), removed ones as `left`. `thorough` (the default): check every member, for when Redis may have
   * lost some (the link came back, this node was reaped); otherwise a store may only refresh the TTLs of what
   * looks intact, and must check every member of a connection whose record in Redis does not.
   */
  reassert(live: LiveConnections, timestamp: number, thorough?: boolean): Promise<ChannelDiffs>;
}

/**
 * The connections a node serves, asked at the moment each decision is made: a snapshot taken before a pass would
 * count a connection opened during the pass (its members already written) as ended, and remove a live member.
 */
export interface LiveConnections {
  has(connectionId: string): boolean;
}
