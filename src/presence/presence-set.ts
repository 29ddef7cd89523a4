import { ErrorInfo } from '../errors/index.ts';
import { emptyDiff, type LeaveDetails, memberKey, type PresenceDiff, type PresenceMember } from './member.ts';

/**
 * The members of one channel. Pure: every mutation returns the diff to broadcast and nothing else happens
 * (no I/O, no timers). Members are keyed by (clientId, connectionId).
 */
export class PresenceSet {
  private readonly byKey = new Map<string, PresenceMember>();
  private readonly byConnection = new Map<string, Set<string>>();

  get size(): number {
    return this.byKey.size;
  }

  members(): IterableIterator<PresenceMember> {
    return this.byKey.values();
  }

  get(clientId: string, connectionId: string): PresenceMember | undefined {
    return this.byKey.get(memberKey(clientId, connectionId));
  }

  /**
   * ENTER or UPDATE: adds the member (diff.entered) or replaces its data (diff.updated). A re-entry that carries the
   * member's current id is the SDK re-asserting a member we still hold (RTP17): nothing to broadcast.
   * Throws 91003 when adding would exceed `maxMembers`.
   */
  upsert(member: PresenceMember, maxMembers = Number.POSITIVE_INFINITY, reentryId?: string): PresenceDiff {
    const key = memberKey(member.clientId, member.connectionId);
    const existing = this.byKey.get(key);
    const diff = emptyDiff();
    if (existing && reentryId !== undefined && existing.id === reentryId) return diff;
    if (!existing && this.byKey.size >= maxMembers) throw ErrorInfo.of('presenceTooManyMembers');
    this.byKey.set(key, member);
    if (existing) diff.updated.push(member);
    else {
      let keys = this.byConnection.get(member.connectionId);
      if (!keys) this.byConnection.set(member.connectionId, (keys = new Set()));
      keys.add(key);
      diff.entered.push(member);
    }
    return diff;
  }

  /** LEAVE: removes the member if present. Without leave data the member's last data is carried (RTP8e). */
  leave(clientId: string, connectionId: string, details: LeaveDetails): PresenceDiff {
    const key = memberKey(clientId, connectionId);
    const existing = this.byKey.get(key);
    const diff = emptyDiff();
    if (!existing) return diff;
    this.remove(key, existing);
    const hasData = details.data !== undefined || details.encoding !== undefined;
    const leave: LeaveDetails = hasData ? details : { ...details, data: existing.data, encoding: existing.encoding };
    diff.left.push({ ...existing, leave });
    return diff;
  }

  /** Removes every member of a connection (close, detach, grace period over); each leaves with its last data. */
  removeConnection(connectionId: string, timestamp: number): PresenceDiff {
    const diff = emptyDiff();
    const keys = this.byConnection.get(connectionId);
    if (!keys) return diff;
    for (const key of [...keys]) {
      const m = this.byKey.get(key);
      if (!m) continue;
      this.remove(key, m);
      diff.left.push({ ...m, leave: { timestamp, data: m.data, encoding: m.encoding } });
    }
    return diff;
  }

  hasConnection(connectionId: string): boolean {
    return this.byConnection.has(connectionId);
  }

  private remove(key: string, member: PresenceMember): void {
    this.byKey.delete(key);
    const keys = this.byConnection.get(member.connectionId);
    keys?.delete(key);
    if (keys?.size === 0) this.byConnection.delete(member.connectionId);
  }
}
