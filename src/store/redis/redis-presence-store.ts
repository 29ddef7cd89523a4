import { packValue, unpackValue } from '../../cluster/cluster-message.ts';
import type { ChannelDiffs, ClusterPresenceStore, LiveConnections } from '../../cluster/cluster-presence-store.ts';
import { ErrorInfo } from '../../errors/index.ts';
import {
  emptyDiff,
  type LeaveDetails,
  memberKey,
  type PresenceDiff,
  type PresenceMember,
  payloadOf,
} from '../../presence/member.ts';
import { type PresencePage, RemovalCutShort } from '../presence-store.ts';
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisClient } from './redis-client.ts';
import { orphanConnection, orphaned } from './redis-orphans.ts';

const upsertScript = new LuaScript('presence-upsert', ['presence-newness', 'ttl', 'presence-order']);
const leaveScript = new LuaScript('presence-leave', ['presence-newness', 'ttl', 'presence-order']);
const removeScript = new LuaScript('presence-remove-connection', ['ttl', 'presence-order']);
const reassertScript = new LuaScript('presence-reassert', ['ttl', 'presence-order']);
const refreshScript = new LuaScript('presence-refresh', ['ttl']);
const pageScript = new LuaScript('presence-page');
const readScript = new LuaScript('presence-read');
const readPlanScript = new LuaScript('presence-read-plan');

/**
 * Pieces of a whole-set read in flight at once: overlaps Redis' work with this node's decoding, while Redis, which
 * runs one client's queued commands back to back, is held by a few pieces at a time (a few ms each).
 */
const READS_IN_FLIGHT = 4;
const claimScript = new LuaScript('connection-claim', ['ttl']);

export interface RedisPresenceOptions {
  /** This node's id (owner of the connections it serves). */
  nodeId: string;
  /** TTL backstop of member entries, ms; owners refresh it (reassert) well within it. */
  memberTtl: number;
  /** How long what remains of a connection's state is kept after its members were removed, ms. */
  connectionStateTtl: number;
  /** How long a record of a departed member is kept for the newness rules, ms (must outlive any resume). */
  departedTtl: number;
  /**
   * Members read per Redis call when reading a whole set (a piece; HSCAN COUNT) or paging past filtered-out ones,
   * and written back per call by a re-assertion: bounds both what one call makes Redis do and how long decoding one
   * reply holds this node's event loop.
   */
  readPageSize: number;
}

const SEP = Buffer.from([0]);

/**
 * `<memberId>\0<timestamp>\0<packed payload>`: id and timestamp stay apart from the payload (clientId, connectionId,
 * data, encoding, extras), so the scripts can check newness and bring a member back with its last payload.
 */
function encodeMember(m: PresenceMember): Buffer {
  const payload = packValue({ clientId: m.clientId, connectionId: m.connectionId, ...payloadOf(m) });
  return Buffer.concat([Buffer.from(m.id), SEP, Buffer.from(String(m.timestamp)), SEP, payload]);
}

function decodeMember(value: Buffer): PresenceMember {
  const idEnd = value.indexOf(0);
  const tsEnd = value.indexOf(0, idEnd + 1);
  const payload = unpackValue<Omit<PresenceMember, 'id' | 'timestamp'>>(value.subarray(tsEnd + 1));
  // Built field by field rather than spread: this runs once per member on a whole-set read (100k for a big room).
  const m: PresenceMember = {
    id: value.toString('utf8', 0, idEnd),
    clientId: payload.clientId,
    connectionId: payload.connectionId,
    timestamp: Number(value.toString('latin1', idEnd + 1, tsEnd)),
  };
  if (payload.data !== undefined) m.data = payload.data;
  if (payload.encoding !== undefined) m.encoding = payload.encoding;
  if (payload.extras !== undefined) m.extras = payload.extras;
  return m;
}

/**
 * Presence in Redis, shared by every node: one hash of members per channel (owning connection inside each
 * member; owning node on the connection's state), changed only by Lua scripts so each change happens once.
 * Keeps a local copy of the members of connections this node owns, to write them back if Redis loses them.
 * Cannot: keep serving presence while Redis is unreachable (operations fail with 50300).
 */
export class RedisPresenceStore implements ClusterPresenceStore {
  /** connectionId → channel → memberKey → encoded member, for connections owned here. */
  private readonly own = new Map<string, Map<string, Map<string, Buffer>>>();
  /**
   * connectionId → channel → memberKeys, for connections that ended here whose removal has not gone through yet
   * (Redis failing over): retried by each re-assertion pass. Redis' own record of them (the connection's member set
   * per channel) has a TTL of memberTtl that only this node refreshed, and may run out meanwhile; so the claim copies
   * them next to the connection's state (keys.connectionLeaving), where any node finishing the removal finds them.
   * This copy is kept only until a claim took it there (the connection's own slot may be failing over too).
   */
  private readonly leaving = new Map<string, Map<string, string[]>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: RedisPresenceOptions,
  ) {}

  async upsert(channel: string, member: PresenceMember, maxMembers: number, reentryId?: string): Promise<PresenceDiff> {
    const mk = memberKey(member.clientId, member.connectionId);
    const value = encodeMember(member);
    const o = this.options;
    const [code, written] = (await guard(
      upsertScript.run(this.redis, this.channelKeys(channel, member.connectionId), [
        mk,
        value,
        maxMembers,
        reentryId ?? '',
        o.memberTtl,
        member.connectionId,
        o.departedTtl,
      ]),
    )) as [number, Buffer | undefined];
    if (code < 0) throw ErrorInfo.of('presenceTooManyMembers');
    const diff = emptyDiff();
    if (code === 0) return diff;
    await guard(this.index(member.connectionId, channel));
    this.remember(member.connectionId, channel, mk, written ?? value);
    const applied = written ? decodeMember(written) : member;
    if (code === 1) diff.entered.push(applied);
    else diff.updated.push(applied);
    return diff;
  }

  async leave(channel: string, clientId: string, connectionId: string, details: LeaveDetails): Promise<PresenceDiff> {
    const mk = memberKey(clientId, connectionId);
    const old = (await guard(
      leaveScript.run(this.redis, this.channelKeys(channel, connectionId), [
        mk,
        details.id ?? '',
        connectionId,
        this.options.departedTtl,
      ]),
    )) as Buffer | null | 0;
    const diff = emptyDiff();
    if (old === 0) return diff; // stale: the member stays as it is
    this.forget(connectionId, channel, mk);
    if (!old) return diff;
    const existing = decodeMember(old);
    // Without leave data the member's last data is carried (RTP8e), as PresenceSet does.
    const hasData = details.data !== undefined || details.encoding !== undefined;
    const leave: LeaveDetails = hasData ? details : { ...details, data: existing.data, encoding: existing.encoding };
    diff.left.push({ ...existing, leave });
    return diff;
  }

  async removeConnectionFromChannel(channel: string, connectionId: string, timestamp: number): Promise<PresenceDiff> {
    this.forget(connectionId, channel);
    const diff = await this.removeFrom(channel, connectionId, timestamp);
    await guard(this.redis.srem(this.keys.connectionChannels(connectionId), channel));
    return diff;
  }

  async removeConnection(connectionId: string, timestamp: number, closed = true): Promise<ChannelDiffs> {
    // Whatever Redis says, this node no longer holds these members; until Redis has removed them, it remembers them.
    const channels = this.own.get(connectionId);
    this.own.delete(connectionId);
    if (channels) this.leaving.set(connectionId, new Map([...channels].map(([ch, members]) => [ch, [...members.keys()]])));
    return this.claimAndRemove(connectionId, 'own', this.options.nodeId, timestamp, closed ? 'closed' : 'left');
  }

  /** Nothing to do: departed-member records expire by themselves after `departedTtl`. */
  async forgetConnection(_connectionId: string): Promise<void> {}

  /**
   * Read in pieces of `readPageSize` in entry order (presence-read.lua: one packed string per piece), a few pieces
   * in flight at once, decoding each as it comes: neither Redis nor this node's event loop is held for the whole set
   * (one HGETALL of 100k members blocks both, and parsing its 200k replies is most of the cost). The pieces are
   * cut by entry stamps read first (presence-read-plan.lua), so they fit together: a member present throughout is
   * read exactly once. When the order does not hold every member (a set written before it existed), falls back
   * to HSCAN.
   */
  async members(channel: string): Promise<PresenceMember[]> {
    const k = this.keys;
    const plan = (await guard(
      readPlanScript.run(this.redis, [k.presenceOrder(channel), k.members(channel)], [this.options.readPageSize]),
    )) as [number, number, ...Buffer[]];
    const [ordered, stored, ...cuts] = plan;
    if (ordered !== stored) return this.scanMembers(channel);
    const bounds = ['0', ...cuts.map((cut) => cut.toString()), '+inf'];
    const pieces: PresenceMember[][] = [];
    let next = 0;
    const reader = async (): Promise<void> => {
      while (next < bounds.length - 1) {
        const i = next++;
        pieces[i] = await this.readRange(channel, bounds[i] as string, bounds[i + 1] as string);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, bounds.length - 1) }, reader));
    return pieces.flat();
  }

  /** The members with entry stamps in (after, upto], `readPageSize` per call. */
  private async readRange(channel: string, after: string, upto: string): Promise<PresenceMember[]> {
    const k = this.keys;
    const out: PresenceMember[] = [];
    for (;;) {
      const [more, last, packed] = (await guard(
        readScript.run(this.redis, [k.presenceOrder(channel), k.members(channel)], [after, upto, this.options.readPageSize]),
      )) as [number, Buffer, Buffer];
      for (let at = 0; at < packed.length; ) {
        const length = packed.readUInt32BE(at);
        out.push(decodeMember(packed.subarray(at + 4, at + 4 + length)));
        at += 4 + length;
      }
      if (more !== 1) return out;
      after = last.toString();
    }
  }

  /** HSCAN in pieces (may repeat a field when the hash is resized mid-scan: kept once). */
  private async scanMembers(channel: string): Promise<PresenceMember[]> {
    const key = this.keys.members(channel);
    const out: PresenceMember[] = [];
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, flat] = (await guard(this.redis.hscanBuffer(key, cursor, 'COUNT', this.options.readPageSize))) as [
        Buffer,
        Buffer[],
      ];
      cursor = next.toString();
      for (let i = 0; i < flat.length; i += 2) {
        const field = (flat[i] as Buffer).toString();
        if (seen.has(field)) continue;
        seen.add(field);
        out.push(decodeMember(flat[i + 1] as Buffer));
      }
    } while (cursor !== '0');
    return out;
  }

  async version(channel: string): Promise<string | undefined> {
    return (await guard(this.redis.get(this.keys.presenceVersion(channel)))) ?? undefined;
  }

  /**
   * Cursor: the entry stamp of the last member returned or skipped (presence-page.lua). Reads at most
   * `readPageSize` entries per call with a filter, and calls again only while filtered-out members leave the page
   * short (or hide whether another page exists).
   */
  async page(
    channel: string,
    cursor: string | undefined,
    limit: number,
    accept?: (m: PresenceMember) => boolean,
  ): Promise<PresencePage> {
    if (cursor !== undefined && !/^\d{1,16}$/.test(cursor)) {
      throw ErrorInfo.of('invalidParameter', 'page is not a presence cursor');
    }
    const k = this.keys;
    const members: PresenceMember[] = [];
    // `after`: the cursor to hand out (last member returned or skipped while the page filled); `read`: how far
    // this call has read, which goes on past a full page until a member that would pass shows up.
    let after = cursor ?? '0';
    let read = after;
    for (;;) {
      // One entry beyond a full page tells whether a next page exists (with a filter, one that passes it).
      const want = accept ? this.options.readPageSize : limit - members.length + 1;
      const reply = (await guard(
        pageScript.run(this.redis, [k.presenceOrder(channel), k.members(channel)], [read, want]),
      )) as Array<number | Buffer | null>;
      for (let i = 1; i < reply.length; i += 2) {
        const value = reply[i + 1] as Buffer | null;
        const m = value ? decodeMember(value) : undefined;
        read = String(reply[i]);
        if (!m || (accept && !accept(m))) {
          if (members.length < limit) after = read;
          continue;
        }
        if (members.length === limit) return { members, next: after };
        after = read;
        members.push(m);
      }
      if (reply[0] !== 1) return { members };
    }
  }

  async count(channel: string): Promise<number> {
    return guard(this.redis.hlen(this.keys.members(channel)));
  }

  /**
   * A dead node's connections become abrupt disconnects (src/store/redis/redis-orphans.ts): their members stay for
   * their own remainPresentFor from the node's last heartbeat and leave through {@link sweepLeaves}. Only members
   * of connections Redis has no state for leave now.
   */
  async removeNode(nodeId: string, timestamp: number): Promise<ChannelDiffs> {
    const set = this.keys.nodeConnections(nodeId);
    const beat = await guard(this.redis.zscore(this.keys.nodes(), nodeId));
    const diedAt = beat === null ? timestamp : Number(beat);
    const o = this.options;
    return eachOf(await guard(this.redis.smembers(set)), async (connectionId, out) => {
      const fate = await guard(
        orphanConnection(this.redis, this.keys, connectionId, nodeId, diedAt, timestamp, {
          connectionStateTtl: o.connectionStateTtl,
          margin: o.memberTtl,
        }),
      );
      if (fate === 'remove') out.push(...(await this.claimAndRemove(connectionId, 'reap', nodeId, timestamp)));
      await guard(this.redis.srem(set, connectionId));
    });
  }

  async sweepLeaves(now: number): Promise<ChannelDiffs> {
    const due = await guard(this.redis.zrangebyscore(this.keys.leaves(), '-inf', now, 'LIMIT', 0, 200));
    // One connection's removal cut short stays queued; the others are swept all the same.
    return eachOf(due, async (connectionId, out) => {
      const nodeDown = await guard(orphaned(this.redis, this.keys, connectionId));
      const because = (removed: ChannelDiffs) =>
        nodeDown ? removed.map((r) => ({ ...r, cause: 'node-down' as const })) : removed;
      try {
        out.push(...because(await this.claimAndRemove(connectionId, 'sweep', this.options.nodeId, now)));
      } catch (err) {
        if (err instanceof RemovalCutShort) throw new RemovalCutShort(because(err.removed), err.cause);
        throw err;
      }
      await guard(this.redis.zrem(this.keys.leaves(), connectionId));
    });
  }

  async scheduleLeave(connectionId: string, leaveAt: number): Promise<void> {
    await guard(this.redis.zadd(this.keys.leaves(), leaveAt, connectionId));
  }

  async adopt(connectionId: string): Promise<void> {
    await guard(this.redis.zrem(this.keys.leaves(), connectionId));
    const channels = await guard(this.redis.smembers(this.keys.connectionChannels(connectionId)));
    await guard(this.redis.sadd(this.keys.nodeConnections(this.options.nodeId), connectionId));
    for (const channel of channels) {
      const mks = await guard(this.redis.smembers(this.keys.connectionMembers(channel, connectionId)));
      if (mks.length === 0) continue;
      const values = await guard(this.redis.hmgetBuffer(this.keys.members(channel), ...mks));
      mks.forEach((mk, i) => {
        const v = values[i];
        if (v) this.remember(connectionId, channel, mk, v);
      });
    }
  }

  async reassert(live: LiveConnections, timestamp: number, thorough = true): Promise<ChannelDiffs> {
    const k = this.keys;
    const ttl = this.options.memberTtl;
    const out: ChannelDiffs = [];
    try {
      await this.writeBack(live, out, thorough);
    } catch (err) {
      // Members written back before the failure are in Redis again: their ENTERs go out all the same.
      throw new RemovalCutShort(out, err);
    }
    // Connections Redis still credits to this node that it no longer serves left while Redis could not be told.
    const set = k.nodeConnections(this.options.nodeId);
    const ended = new Set([...this.leaving.keys(), ...(await guard(this.redis.smembers(set)))]);
    await eachOf(
      ended,
      async (connectionId, removed) => {
        if (live.has(connectionId)) return;
        removed.push(...(await this.claimAndRemove(connectionId, 'own', this.options.nodeId, timestamp, 'closed')));
        await guard(this.redis.srem(set, connectionId));
      },
      out,
    );
    await guard(this.redis.pexpire(set, ttl));
    return out;
  }

  /**
   * Writes back the members of `live` connections this node holds that Redis lost; those written go in `out`.
   * Per (connection, channel): unless `thorough`, one script that only refreshes the TTL backstops when Redis still
   * holds as many of the connection's members as this node does (presence-refresh.lua); otherwise, or when it does
   * not, every member is written back if missing (presence-reassert.lua), `readPageSize` members per call so that
   * no call holds Redis for long (a big room's joiners read between them).
   */
  private async writeBack(live: LiveConnections, out: ChannelDiffs, thorough: boolean): Promise<void> {
    const k = this.keys;
    const ttl = this.options.memberTtl;
    for (const [connectionId, channels] of this.own) {
      if (!live.has(connectionId)) continue;
      for (const [channel, members] of channels) {
        const keys = [
          k.members(channel),
          k.connectionMembers(channel, connectionId),
          k.presenceOrder(channel),
          k.presenceVersion(channel),
        ];
        const fresh = !thorough && (await guard(refreshScript.run(this.redis, keys, [ttl, members.size]))) === 1;
        const written = fresh ? [] : await this.writeMissing(keys, members);
        await guard(this.index(connectionId, channel));
        if (written.length === 0) continue;
        const diff = emptyDiff();
        for (const mk of written) {
          const value = members.get(mk);
          if (value) diff.entered.push(decodeMember(value));
        }
        out.push({ channel, diff });
      }
    }
  }

  /** Writes those of `members` that Redis lacks, in pieces of `readPageSize`; resolves with their keys. */
  private async writeMissing(keys: string[], members: Map<string, Buffer>): Promise<string[]> {
    const written: string[] = [];
    const entries = [...members];
    for (let start = 0; start < entries.length; start += this.options.readPageSize) {
      const args: Array<string | number | Buffer> = [this.options.memberTtl];
      for (const [mk, v] of entries.slice(start, start + this.options.readPageSize)) args.push(mk, v);
      const piece = (await guard(reassertScript.run(this.redis, keys, args))) as Buffer[];
      for (const mk of piece) written.push(mk.toString());
    }
    return written;
  }

  /**
   * Claims the connection's removal and removes its members, channel by channel. Every channel is tried even when
   * one fails (each is on its own slot); if one did, the LEAVEs of the others are thrown along (RemovalCutShort)
   * and the connection is queued for the sweep, which every node runs: the removal is finished whoever is left.
   * `state`: what a claim by its owner makes of the connection (closed, or only its grace ended).
   */
  private async claimAndRemove(
    connectionId: string,
    mode: 'own' | 'reap' | 'sweep',
    nodeId: string,
    timestamp: number,
    state: 'closed' | 'left' = 'left',
  ): Promise<ChannelDiffs> {
    const k = this.keys;
    const known = mode === 'own' ? this.leaving.get(connectionId) : undefined;
    const args: Array<string | number | Buffer> = [mode, nodeId, timestamp, this.options.connectionStateTtl, state];
    for (const [channel, mks] of known ?? []) args.push(channel, packValue(mks));
    const reply = (await guard(
      claimScript.run(
        this.redis,
        [k.connection(connectionId), k.connectionChannels(connectionId), k.connectionLeaving(connectionId)],
        args,
      ),
    )) as [Buffer[], Buffer[]] | null;
    // Refused: the connection lives on another node now, which holds its members.
    if (!reply) {
      this.leaving.delete(connectionId);
      return [];
    }
    // Redis holds the owner's record of the members now, for whichever node finishes the removal.
    if (mode === 'own') this.leaving.delete(connectionId);
    const [listed, saved] = reply;
    const memberKeys = new Map<string, string[]>();
    for (let i = 0; i < saved.length; i += 2) {
      memberKeys.set((saved[i] as Buffer).toString(), unpackValue<string[]>(saved[i + 1] as Buffer));
    }
    const channels = new Set([...listed.map((raw) => raw.toString()), ...memberKeys.keys()]);
    const out = await eachOf(channels, async (channel, removed) => {
      removed.push({ channel, diff: await this.removeFrom(channel, connectionId, timestamp, memberKeys.get(channel)) });
      // Done with this channel only now: on a Redis Cluster its slot may be failing over while the connection's is
      // not, and a removal that failed here stays listed for the next claim (a re-assertion pass, the next sweep).
      await guard(
        this.redis
          .multi()
          .srem(k.connectionChannels(connectionId), channel)
          .hdel(k.connectionLeaving(connectionId), channel)
          .exec(),
      );
    }).catch(async (err: unknown) => {
      // Best effort: should the queue be out of reach too, this node's own pass still retries what it owned.
      await this.redis.zadd(k.leaves(), timestamp, connectionId).catch(() => undefined);
      throw err;
    });
    return out;
  }

  /** `memberKeys`: the connection's members there as this node knew them, should Redis' record of them be gone. */
  private async removeFrom(
    channel: string,
    connectionId: string,
    timestamp: number,
    memberKeys: string[] = [],
  ): Promise<PresenceDiff> {
    const flat = (await guard(
      removeScript.run(this.redis, this.channelKeys(channel, connectionId), [this.options.departedTtl, ...memberKeys]),
    )) as Buffer[];
    const diff = emptyDiff();
    for (let i = 1; i < flat.length; i += 2) {
      const m = decodeMember(flat[i] as Buffer);
      diff.left.push({ ...m, leave: { timestamp, data: m.data, encoding: m.encoding } });
    }
    return diff;
  }

  /** The keys the presence scripts change on one channel for one connection. */
  private channelKeys(channel: string, connectionId: string): string[] {
    const k = this.keys;
    return [
      k.members(channel),
      k.connectionMembers(channel, connectionId),
      k.departedMembers(channel, connectionId),
      k.presenceOrder(channel),
      k.presenceVersion(channel),
    ];
  }

  /** Indexes that let a connection's, or a node's, members be found without scanning channels. */
  private index(connectionId: string, channel: string): Promise<unknown> {
    const k = this.keys;
    return this.redis
      .multi()
      .sadd(k.connectionChannels(connectionId), channel)
      .pexpire(k.connectionChannels(connectionId), this.options.memberTtl)
      .exec()
      .then(() => this.redis.sadd(k.nodeConnections(this.options.nodeId), connectionId));
  }

  private remember(connectionId: string, channel: string, mk: string, value: Buffer): void {
    let channels = this.own.get(connectionId);
    if (!channels) this.own.set(connectionId, (channels = new Map()));
    let members = channels.get(channel);
    if (!members) channels.set(channel, (members = new Map()));
    members.set(mk, value);
  }

  private forget(connectionId: string, channel: string, mk?: string): void {
    const channels = this.own.get(connectionId);
    const members = channels?.get(channel);
    if (!channels || !members) return;
    if (mk === undefined) members.clear();
    else members.delete(mk);
    if (members.size === 0) channels.delete(channel);
    if (channels.size === 0) this.own.delete(connectionId);
  }
}

/**
 * Runs `step` for every item, all of them even when some fail, gathering what they removed in `out` (what a step
 * cut short removed too). If any failed, throws {@link RemovalCutShort} with all of it: those LEAVEs happened, and
 * no later call returns them again.
 */
async function eachOf<T>(
  items: Iterable<T>,
  step: (item: T, out: ChannelDiffs) => Promise<void>,
  out: ChannelDiffs = [],
): Promise<ChannelDiffs> {
  let failed = false;
  let failure: unknown;
  for (const item of items) {
    try {
      await step(item, out);
    } catch (err) {
      if (err instanceof RemovalCutShort) out.push(...err.removed);
      if (!failed) failure = err instanceof RemovalCutShort ? err.cause : err;
      failed = true;
    }
  }
  if (failed) throw new RemovalCutShort(out, failure);
  return out;
}
