import type { LeaveDetails, PresenceDiff, PresenceMember } from '../presence/member.ts';
import type { PresenceCause } from '../presence/presence-service.ts';

/** A page of members and the cursor of the next one (absent on the last page). */
export interface PresencePage {
  members: PresenceMember[];
  next?: string;
}

/**
 * Where presence members live, in domain verbs. Every mutation is atomic and returns the diff it caused, so
 * exactly one caller broadcasts each change. `channel` is the namespaced channel key (`appId:name`).
 */
export interface PresenceStore {
  /**
   * ENTER/UPDATE under the per-connection newness rules of PresenceSet (stale operations change nothing and give an
   * empty diff). `reentryId`: the id an SDK re-entry carries. Throws 91003 at `maxMembers`.
   */
  upsert(channel: string, member: PresenceMember, maxMembers: number, reentryId?: string): Promise<PresenceDiff>;
  /** LEAVE of one member; empty diff if it was not present or the LEAVE is stale. */
  leave(channel: string, clientId: string, connectionId: string, details: LeaveDetails): Promise<PresenceDiff>;
  /** Removes a connection's members on one channel (detach). */
  removeConnectionFromChannel(channel: string, connectionId: string, timestamp: number): Promise<PresenceDiff>;
  /**
   * Removes a connection's members everywhere, per channel: `closed` when the connection itself ended (CLOSE, its
   * state expired: it can never be resumed), false when only its grace period is over (it may still resume, without
   * members). A backend that can fail partway throws {@link RemovalCutShort}, with what it did remove.
   */
  removeConnection(
    connectionId: string,
    timestamp: number,
    closed?: boolean,
  ): Promise<Array<{ channel: string; diff: PresenceDiff }>>;
  /**
   * The connection's state is gone for good (CLOSE, connectionStateTtl over): forget what was kept of its departed
   * members for newness checks (see PresenceSet). Backends whose records expire by themselves may do nothing.
   */
  forgetConnection(connectionId: string): Promise<void>;
  /**
   * The channel's members, in no particular order. A backend that reads them in pieces (Redis) yields between
   * pieces, so a big set never holds the event loop for long; a member present throughout is returned once, and
   * one that came or went during the read may or may not be (its event follows the read, as for any snapshot).
   */
  members(channel: string): Promise<PresenceMember[]>;
  /**
   * Changes whenever the channel's members change, and never takes a value an earlier state of the channel had:
   * equal versions mean the same members. Undefined when the backend cannot tell (an empty channel may give
   * either). Lets callers reuse what they built from a set (SYNC pages) while it is unchanged.
   */
  version(channel: string): Promise<string | undefined>;
  /**
   * One page of members in entry order, after the opaque `cursor` of the previous page (undefined: from the start),
   * at most `limit` of those `accept` keeps; `next` is set when more may follow. Stable under concurrent change: a
   * member present from the first page to the last is returned exactly once; members entering meanwhile come at
   * the end or not at all. A cursor this backend did not make throws 40003.
   */
  page(
    channel: string,
    cursor: string | undefined,
    limit: number,
    accept?: (m: PresenceMember) => boolean,
  ): Promise<PresencePage>;
  /** Number of members on the channel. */
  count(channel: string): Promise<number>;
}

/**
 * A removal that failed partway (on a Redis Cluster, one channel's shard failing over): the members in `removed` are
 * gone from the store all the same, and their LEAVEs are the catcher's to broadcast, since no later call returns
 * them again. The rest is left for a later claim to finish.
 */
export class RemovalCutShort extends Error {
  constructor(
    readonly removed: Array<{ channel: string; diff: PresenceDiff; cause?: PresenceCause }>,
    cause: unknown,
  ) {
    super(`presence removal cut short: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RemovalCutShort';
  }
}
