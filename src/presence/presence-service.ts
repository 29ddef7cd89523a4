import { randomBytes } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import type { Connection } from '../connection/connection.ts';
import type { ServerMetrics } from '../observability/metrics-server.ts';
import { Action, PresenceAction, type PresenceMessage, type ProtocolMessage } from '../protocol/index.ts';
import type { Broker, ChannelEvent } from '../store/broker.ts';
import { type PresenceStore, RemovalCutShort } from '../store/presence-store.ts';
import type { Clock } from '../time/clock.ts';
import { isEmptyDiff, type PresenceDiff, type PresenceMember } from './member.ts';
import { SyncCache } from './sync-cache.ts';

const channelName = (key: string): string => key.slice(key.indexOf(':') + 1);

/** Why a presence event's LEAVEs happened: a client's LEAVE, or the server path that removed the members. */
export type PresenceCause = 'leave' | 'detach' | 'close' | 'timeout' | 'node-down';

/**
 * Told of every presence event right after it is published, on the one node that published it (so once
 * cluster-wide). Must return at once and never throw: presence does not wait for it (src/integrations).
 */
export type PresenceObserver = (event: ChannelEvent, cause: PresenceCause) => void;

/**
 * Owns presence side effects: turns diffs into broadcasts and history, builds SYNC pages, and runs the
 * remainPresentFor grace period of abruptly dropped connections.
 */
export class PresenceService {
  /** Prefix of server-generated LEAVE ids: never a connectionId prefix, so the SDK treats them as synthesized (RTP2b1). */
  private readonly leavePrefix = `srv-${randomBytes(4).toString('hex')}`;
  private leaveCount = 0;
  private syncCount = 0;
  /** Set by the composition root when integrations (client transitions, webhooks) are on. */
  observer: PresenceObserver | undefined;
  private readonly syncCache: SyncCache | undefined;

  constructor(
    readonly store: PresenceStore,
    private readonly broker: Broker,
    private readonly clock: Clock,
    /** Counts broadcast presence events, SYNC pages and grace-period leaves; undefined when metrics are off. */
    private readonly metrics?: ServerMetrics,
    /** Members whose SYNC pages are kept for reuse (src/presence/sync-cache.ts); 0 or absent: none. */
    syncCacheMembers = 0,
  ) {
    this.syncCache = syncCacheMembers > 0 ? new SyncCache(syncCacheMembers) : undefined;
  }

  /** Outbound items for a diff: entered as ENTER, updated as UPDATE, left as LEAVE with the leave's own fields. */
  itemsOf(diff: PresenceDiff): PresenceMessage[] {
    const out: PresenceMessage[] = [];
    for (const m of diff.entered) out.push(asItem(PresenceAction.ENTER, m));
    for (const m of diff.updated) out.push(asItem(PresenceAction.UPDATE, m));
    for (const m of diff.left) {
      out.push({
        action: PresenceAction.LEAVE,
        id: m.leave.id,
        clientId: m.clientId,
        connectionId: m.connectionId,
        data: m.leave.data,
        encoding: m.leave.encoding,
        extras: m.leave.extras,
        timestamp: m.leave.timestamp,
      });
    }
    return out;
  }

  /** Publishes presence items on a channel and records them in presence history. `cause`: why its LEAVEs happened. */
  async broadcast(
    channel: string,
    message: Omit<ProtocolMessage, 'action' | 'channel'>,
    origin?: string,
    cause: PresenceCause = 'leave',
  ): Promise<void> {
    const events = this.metrics?.presenceEvents;
    if (events) for (const item of message.presence ?? []) events.inc(item.action);
    // Kept in presence history by the broker in the same step as the fan-out (issue 16).
    const event = await this.broker.publish(
      channel,
      { action: Action.PRESENCE, channel: channelName(channel), ...message },
      origin,
      { history: 'presence' },
    );
    this.observer?.(event, cause);
  }

  /**
   * Broadcasts changes the server made on its own: LEAVEs (close, detach, grace period over, node down) with ids
   * not prefixed by the member's connection, so the SDK treats them as synthesized (RTP2b1) and compares them by
   * timestamp; and ENTERs of members written back after the cluster lost them (they keep their own id).
   * A LEAVE's timestamp is never older than the member it removes: the removal may have been timed before a re-entry
   * that it then took away, and an SDK drops a synthesized LEAVE older than the member it holds.
   * `cause`: why the members left, for observers (client transitions).
   */
  async broadcastLeaves(channel: string, diff: PresenceDiff, cause: PresenceCause = 'close'): Promise<void> {
    if (isEmptyDiff(diff)) return;
    const id = `${this.leavePrefix}:${this.leaveCount++}`;
    const restored = diff.entered.map((m) => asItem(PresenceAction.ENTER, m));
    const leaves = this.itemsOf({ entered: [], updated: [], left: diff.left }).map((item, i) => ({
      ...item,
      id: `${id}:${i}`,
      timestamp: Math.max(item.timestamp ?? 0, diff.left[i]?.timestamp ?? 0),
    }));
    await this.broadcast(channel, { id, timestamp: this.clock.now(), presence: [...restored, ...leaves] }, undefined, cause);
  }

  /**
   * Removes every member of the connection at once, broadcasting their LEAVEs (cause: close, or grace period over);
   * resolves with how many left.
   */
  async removeConnection(connectionId: string, cause: PresenceCause = 'close'): Promise<number> {
    let removed: Array<{ channel: string; diff: PresenceDiff }>;
    try {
      // Only a grace period's end leaves the connection itself resumable.
      removed = await this.store.removeConnection(connectionId, this.clock.now(), cause !== 'timeout');
    } catch (err) {
      // What was removed before the failure left for good: its LEAVEs go out now, the rest when it is finished.
      if (err instanceof RemovalCutShort) for (const r of err.removed) await this.broadcastLeaves(r.channel, r.diff, cause);
      throw err;
    }
    let left = 0;
    for (const { channel, diff } of removed) {
      left += diff.left.length;
      await this.broadcastLeaves(channel, diff, cause);
    }
    return left;
  }

  /** Removes the connection's members on one channel (DETACH). */
  async removeFromChannel(channel: string, connectionId: string): Promise<void> {
    const diff = await this.store.removeConnectionFromChannel(channel, connectionId, this.clock.now());
    await this.broadcastLeaves(channel, diff, 'detach');
  }

  /** Starts the grace period after an abrupt drop: members leave after `remainPresentFor` unless cancelled. */
  scheduleLeave(conn: Connection, onError: (err: unknown) => void): void {
    this.cancelLeave(conn);
    conn.leaveTimer = this.clock.setTimeout(() => {
      conn.leaveTimer = undefined;
      this.removeConnection(conn.id, 'timeout')
        .then((left) => this.metrics?.graceLeaves.inc(left))
        .catch(onError);
    }, conn.options.remainPresentFor);
  }

  cancelLeave(conn: Connection): void {
    if (conn.leaveTimer) this.clock.clearTimeout(conn.leaveTimer);
    conn.leaveTimer = undefined;
  }

  /**
   * The SYNC pages for the channel's members now, none when it has none. Reused while the set is unchanged: pages
   * are cached by the store's version of the set, and cached only when the version did not move during the read
   * (a Redis read comes in pieces; changes meanwhile reach the joiner as events after the SYNC anyway).
   */
  async currentSync(key: string, name: string, pageSize: number): Promise<ProtocolMessage[]> {
    const cache = this.syncCache;
    const before = cache ? await this.store.version(key) : undefined;
    const cached = before === undefined ? undefined : cache?.get(key, name, before);
    if (cached) {
      this.metrics?.syncPages.inc(cached.length);
      return cached;
    }
    const members = await this.store.members(key);
    if (members.length === 0) return [];
    const pages = await this.syncPagesYielding(name, members, pageSize);
    if (cache && before !== undefined && (await this.store.version(key)) === before) {
      cache.set(key, name, before, pages, members.length);
    }
    return pages;
  }

  /**
   * SYNC pages for a member list: `<syncId>:<cursor>` serials, the last with an empty cursor, `presence: []` when
   * there is nobody (an absent `presence` would never end the client's sync). Items keep their original id/timestamp.
   */
  syncPages(name: string, members: PresenceMember[], pageSize: number): ProtocolMessage[] {
    const syncId = `${this.leavePrefix}-${this.syncCount++}`;
    const pages: ProtocolMessage[] = [];
    for (let start = 0; start === 0 || start < members.length; start += pageSize) {
      pages.push(syncPage(name, syncId, members, start, pageSize));
    }
    this.metrics?.syncPages.inc(pages.length);
    return pages;
  }

  /** {@link syncPages}, giving the event loop back every few pages: 100k members take ~50 ms to turn into items. */
  private async syncPagesYielding(name: string, members: PresenceMember[], pageSize: number): Promise<ProtocolMessage[]> {
    const syncId = `${this.leavePrefix}-${this.syncCount++}`;
    const pages: ProtocolMessage[] = [];
    for (let start = 0; start < members.length; start += pageSize) {
      if (pages.length > 0 && pages.length % PAGES_PER_TURN === 0) await setImmediate();
      pages.push(syncPage(name, syncId, members, start, pageSize));
    }
    this.metrics?.syncPages.inc(pages.length);
    return pages;
  }
}

/** Pages built between turns of the event loop. */
const PAGES_PER_TURN = 50;

/** One SYNC page: `<syncId>:<cursor>`, the cursor empty on the last page (RTP18). */
function syncPage(name: string, syncId: string, members: PresenceMember[], start: number, pageSize: number): ProtocolMessage {
  const last = start + pageSize >= members.length;
  return {
    action: Action.SYNC,
    channel: name,
    channelSerial: `${syncId}:${last ? '' : String(start + pageSize)}`,
    presence: members.slice(start, start + pageSize).map((m) => asItem(PresenceAction.PRESENT, m)),
  };
}

/**
 * A member as an outbound item. Absent fields stay as undefined slots rather than being deleted: both codecs skip
 * them on the wire, and deleting would push every retained item into slow, larger dictionary mode.
 */
function asItem(action: number, m: PresenceMember): PresenceMessage {
  return {
    action,
    id: m.id,
    clientId: m.clientId,
    connectionId: m.connectionId,
    data: m.data,
    encoding: m.encoding,
    extras: m.extras,
    timestamp: m.timestamp,
  };
}
