import type { LeaveDetails, PresenceDiff, PresenceMember } from '../presence/member.ts';

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
  /** Removes a connection's members everywhere (close, grace period over), per channel. */
  removeConnection(connectionId: string, timestamp: number): Promise<Array<{ channel: string; diff: PresenceDiff }>>;
  /**
   * The connection's state is gone for good (CLOSE, connectionStateTtl over): forget what was kept of its departed
   * members for newness checks (see PresenceSet). Backends whose records expire by themselves may do nothing.
   */
  forgetConnection(connectionId: string): Promise<void>;
  /** The channel's members, in no particular order. */
  members(channel: string): Promise<PresenceMember[]>;
  /** Number of members on the channel. */
  count(channel: string): Promise<number>;
}
