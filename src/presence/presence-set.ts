import { ErrorInfo } from '../errors/index.ts';
import { emptyDiff, type LeaveDetails, memberKey, type PresenceDiff, type PresenceMember, withPayloadOf } from './member.ts';
import { isStale, type OpVersion, opVersion } from './newness.ts';

/**
 * What the set still knows of a member that is gone while its connection may come back (issue 11): its last state
 * and, when the client left explicitly, that LEAVE's id. Without it, an SDK re-entering after a network cut with an
 * older message than the server last applied (RTP17: the last one it *received*) would resurrect a member or undo
 * an update.
 */
interface Departed {
  member: PresenceMember;
  /** Id of the client's own LEAVE; undefined when the server removed the member (grace over, detach, node down). */
  leaveId?: string;
}

const versionOf = (d: Departed): OpVersion | undefined => opVersion(d.leaveId ?? d.member.id, d.member.connectionId);

/**
 * Stamps of changes, shared by every set of the process: a set's version and its members' entry order come from
 * here, so a set dropped when empty and made again never reuses a version an earlier one had (a cached SYNC of
 * the old set must not pass for the new one).
 */
let nextStamp = 1;

/**
 * The members of one channel. Pure: every mutation returns the diff to broadcast and nothing else happens
 * (no I/O, no timers). Members are keyed by (clientId, connectionId).
 *
 * Newness (RTP2b2, per connection): an operation whose id `<connectionId>:<msgSerial>:<index>` is not newer than
 * the last one applied to that member, present or departed, changes nothing; a re-entry is judged by the id it
 * carries. Departed members are remembered until {@link forgetConnection} (the connection's state is gone).
 */
export class PresenceSet {
  private readonly byKey = new Map<string, PresenceMember>();
  private readonly byConnection = new Map<string, Set<string>>();
  private readonly departed = new Map<string, Departed>();
  private readonly departedByConnection = new Map<string, Set<string>>();
  /** Entry order, for stable paging: a member keeps its stamp while present, so updates do not move it. */
  private readonly entryOrder = new EntryOrder();
  private changedAt = nextStamp++;

  /** Changes whenever a member enters, changes or leaves; never repeats within the process, across sets. */
  get version(): number {
    return this.changedAt;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** True when the set holds neither members nor anything remembered of departed ones. */
  get isEmpty(): boolean {
    return this.byKey.size === 0 && this.departed.size === 0;
  }

  members(): IterableIterator<PresenceMember> {
    return this.byKey.values();
  }

  get(clientId: string, connectionId: string): PresenceMember | undefined {
    return this.byKey.get(memberKey(clientId, connectionId));
  }

  /**
   * Up to `limit` members that entered after `after` (an entry stamp from an earlier page; 0 from the start) and
   * pass `accept`, in entry order, with the stamp to continue from when another member passing it follows. A member present from one
   * call to the next is returned exactly once however members come and go meanwhile: it keeps its stamp until it
   * leaves, and stamps only grow.
   */
  page(after: number, limit: number, accept?: (m: PresenceMember) => boolean): { members: PresenceMember[]; next?: number } {
    const members: PresenceMember[] = [];
    let last = after;
    for (const [stamp, key] of this.entryOrder.after(after)) {
      const m = this.byKey.get(key);
      if (!m || (accept && !accept(m))) {
        if (members.length < limit) last = stamp;
        continue;
      }
      // Full: `next` only when another member would pass, so the last page is never an empty one.
      if (members.length === limit) return { members, next: last };
      last = stamp;
      members.push(m);
    }
    return { members };
  }

  /**
   * ENTER or UPDATE: adds the member (diff.entered) or replaces its data (diff.updated). `reentryId` is the id an
   * SDK re-entry carries (RTP17g): the operation counts as that old message. Nothing happens (empty diff) when it is
   * not newer than the member's last applied operation, or than the LEAVE of a member that left; a stale re-entry of
   * a member the server removed (grace period over) brings the member back with its last applied data, not the
   * replayed one. Throws 91003 when adding would exceed `maxMembers`.
   */
  upsert(member: PresenceMember, maxMembers = Number.POSITIVE_INFINITY, reentryId?: string): PresenceDiff {
    const key = memberKey(member.clientId, member.connectionId);
    const existing = this.byKey.get(key);
    const diff = emptyDiff();
    const op = opVersion(reentryId, member.connectionId) ?? opVersion(member.id, member.connectionId);
    if (existing) {
      if (reentryId !== undefined && existing.id === reentryId) return diff;
      if (isStale(op, opVersion(existing.id, existing.connectionId))) return diff;
      this.byKey.set(key, member);
      this.changedAt = nextStamp++;
      diff.updated.push(member);
      return diff;
    }
    let entering = member;
    const departed = this.departed.get(key);
    if (departed && isStale(op, versionOf(departed))) {
      if (departed.leaveId !== undefined) return diff;
      entering = withPayloadOf(member, departed.member);
    }
    if (this.byKey.size >= maxMembers) throw ErrorInfo.of('presenceTooManyMembers');
    if (departed) this.unremember(key, member.connectionId);
    this.byKey.set(key, entering);
    this.changedAt = nextStamp++;
    this.entryOrder.add(this.changedAt, key);
    indexed(this.byConnection, member.connectionId).add(key);
    diff.entered.push(entering);
    return diff;
  }

  /**
   * LEAVE: removes the member if present and the LEAVE is newer than its last operation. Without leave data the
   * member's last data is carried (RTP8e). A LEAVE of an absent member broadcasts nothing but is remembered, so a
   * replayed older ENTER cannot bring it back.
   */
  leave(clientId: string, connectionId: string, details: LeaveDetails): PresenceDiff {
    const key = memberKey(clientId, connectionId);
    const existing = this.byKey.get(key);
    const diff = emptyDiff();
    const op = opVersion(details.id, connectionId);
    if (!existing) {
      const departed = this.departed.get(key);
      if (departed && op && !isStale(op, versionOf(departed))) departed.leaveId = details.id;
      return diff;
    }
    if (isStale(op, opVersion(existing.id, connectionId))) return diff;
    this.remove(key, existing);
    this.remember(key, { member: existing, leaveId: details.id });
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
      this.remember(key, { member: m });
      diff.left.push({ ...m, leave: { timestamp, data: m.data, encoding: m.encoding } });
    }
    return diff;
  }

  /** Drops what is remembered of the connection's departed members: its state is gone, it can never resume. */
  forgetConnection(connectionId: string): void {
    for (const key of this.departedByConnection.get(connectionId) ?? []) this.departed.delete(key);
    this.departedByConnection.delete(connectionId);
  }

  /** True when the connection has members here. */
  hasConnection(connectionId: string): boolean {
    return this.byConnection.has(connectionId);
  }

  /** True when the connection has members here or departed members still remembered. */
  knowsConnection(connectionId: string): boolean {
    return this.byConnection.has(connectionId) || this.departedByConnection.has(connectionId);
  }

  private remove(key: string, member: PresenceMember): void {
    this.byKey.delete(key);
    this.changedAt = nextStamp++;
    this.entryOrder.remove(key, this.byKey.size);
    unindexed(this.byConnection, member.connectionId, key);
  }

  private remember(key: string, departed: Departed): void {
    this.departed.set(key, departed);
    indexed(this.departedByConnection, departed.member.connectionId).add(key);
  }

  private unremember(key: string, connectionId: string): void {
    this.departed.delete(key);
    unindexed(this.departedByConnection, connectionId, key);
  }
}

function indexed(index: Map<string, Set<string>>, connectionId: string): Set<string> {
  let keys = index.get(connectionId);
  if (!keys) index.set(connectionId, (keys = new Set()));
  return keys;
}

function unindexed(index: Map<string, Set<string>>, connectionId: string, key: string): void {
  const keys = index.get(connectionId);
  keys?.delete(key);
  if (keys?.size === 0) index.delete(connectionId);
}

/**
 * Member keys by entry stamp, ascending: two parallel arrays (appends only, since stamps grow) searched by binary
 * search, with removed entries left as holes until they outnumber the live ones. Cheaper per member than a sorted
 * tree, and paging from a stamp costs O(log n + page).
 */
class EntryOrder {
  private stamps: number[] = [];
  private keys: Array<string | undefined> = [];
  private readonly at = new Map<string, number>();
  private holes = 0;

  add(stamp: number, key: string): void {
    this.at.set(key, stamp);
    this.stamps.push(stamp);
    this.keys.push(key);
  }

  /** Forgets `key`; `live` is how many members remain, to know when compacting pays. */
  remove(key: string, live: number): void {
    const stamp = this.at.get(key);
    if (stamp === undefined) return;
    this.at.delete(key);
    this.keys[this.indexOf(stamp)] = undefined;
    if (++this.holes > live + 64) this.compact();
  }

  /** [stamp, key] of the live entries with a stamp above `after`, in order. */
  *after(after: number): Generator<[number, string]> {
    for (let i = this.indexOf(after + 1); i < this.stamps.length; i++) {
      const key = this.keys[i];
      if (key !== undefined) yield [this.stamps[i] as number, key];
    }
  }

  /** Index of the first stamp ≥ `stamp`. */
  private indexOf(stamp: number): number {
    let lo = 0;
    let hi = this.stamps.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.stamps[mid] as number) < stamp) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compact(): void {
    const stamps: number[] = [];
    const keys: string[] = [];
    this.keys.forEach((key, i) => {
      if (key === undefined) return;
      stamps.push(this.stamps[i] as number);
      keys.push(key);
    });
    this.stamps = stamps;
    this.keys = keys;
    this.holes = 0;
  }
}
