import { ErrorInfo } from '../../errors/index.ts';
import type { LeaveDetails, PresenceDiff, PresenceMember } from '../../presence/member.ts';
import { emptyDiff } from '../../presence/member.ts';
import { PresenceSet } from '../../presence/presence-set.ts';
import type { PresencePage, PresenceStore } from '../presence-store.ts';

/** Presence in process memory. Single node only: other processes cannot see these members. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly sets = new Map<string, PresenceSet>();
  /** connectionId → channels where it has members (or departed ones remembered), so removing a connection touches only those. */
  private readonly channelsOf = new Map<string, Set<string>>();

  async upsert(channel: string, member: PresenceMember, maxMembers: number, reentryId?: string): Promise<PresenceDiff> {
    let set = this.sets.get(channel);
    if (!set) this.sets.set(channel, (set = new PresenceSet()));
    const diff = set.upsert(member, maxMembers, reentryId);
    let channels = this.channelsOf.get(member.connectionId);
    if (!channels) this.channelsOf.set(member.connectionId, (channels = new Set()));
    channels.add(channel);
    return diff;
  }

  async leave(channel: string, clientId: string, connectionId: string, details: LeaveDetails): Promise<PresenceDiff> {
    const set = this.sets.get(channel);
    if (!set) return emptyDiff();
    const diff = set.leave(clientId, connectionId, details);
    this.tidy(channel, connectionId, set);
    return diff;
  }

  async removeConnectionFromChannel(channel: string, connectionId: string, timestamp: number): Promise<PresenceDiff> {
    const set = this.sets.get(channel);
    if (!set) return emptyDiff();
    const diff = set.removeConnection(connectionId, timestamp);
    this.tidy(channel, connectionId, set);
    return diff;
  }

  async removeConnection(connectionId: string, timestamp: number): Promise<Array<{ channel: string; diff: PresenceDiff }>> {
    const out: Array<{ channel: string; diff: PresenceDiff }> = [];
    for (const channel of [...(this.channelsOf.get(connectionId) ?? [])]) {
      out.push({ channel, diff: await this.removeConnectionFromChannel(channel, connectionId, timestamp) });
    }
    return out;
  }

  async forgetConnection(connectionId: string): Promise<void> {
    for (const channel of [...(this.channelsOf.get(connectionId) ?? [])]) {
      const set = this.sets.get(channel);
      if (!set) continue;
      set.forgetConnection(connectionId);
      this.tidy(channel, connectionId, set);
    }
  }

  async members(channel: string): Promise<PresenceMember[]> {
    return [...(this.sets.get(channel)?.members() ?? [])];
  }

  async version(channel: string): Promise<string | undefined> {
    const set = this.sets.get(channel);
    return set && set.size > 0 ? String(set.version) : undefined;
  }

  /** Cursor: the entry stamp of the last member examined, in decimal. */
  async page(
    channel: string,
    cursor: string | undefined,
    limit: number,
    accept?: (m: PresenceMember) => boolean,
  ): Promise<PresencePage> {
    const after = cursor === undefined ? 0 : Number(cursor);
    if (!/^\d{1,15}$/.test(cursor ?? '0')) throw ErrorInfo.of('invalidParameter', 'page is not a presence cursor');
    const page = this.sets.get(channel)?.page(after, limit, accept) ?? { members: [] };
    return page.next === undefined ? { members: page.members } : { members: page.members, next: String(page.next) };
  }

  async count(channel: string): Promise<number> {
    return this.sets.get(channel)?.size ?? 0;
  }

  /** Drops empty sets and stale indexes so abandoned channels and connections cost nothing. */
  private tidy(channel: string, connectionId: string, set: PresenceSet): void {
    if (!set.knowsConnection(connectionId)) {
      const channels = this.channelsOf.get(connectionId);
      channels?.delete(channel);
      if (channels?.size === 0) this.channelsOf.delete(connectionId);
    }
    if (set.isEmpty) this.sets.delete(channel);
  }
}
