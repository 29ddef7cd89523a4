import type { HistoryKind } from '../history-store.ts';

const HISTORY_PREFIX: Record<HistoryKind, string> = { messages: 'hm', operations: 'ho', presence: 'hp' };

/**
 * Every Redis key Rollcall uses, in one place. Keys of one channel share the hash tag `{appId:channel}` and keys of
 * one connection share `{c:connectionId}`, so each Lua script touches a single hash slot (Redis Cluster safe).
 * Scripts never build keys themselves; they receive them here.
 */
export class RedisKeys {
  constructor(
    /** Namespace for one deployment (and for one test). */
    readonly prefix: string,
  ) {}

  private channel(kind: string, channel: string): string {
    return `${this.prefix}${kind}:{${channel}}`;
  }

  /** HASH memberKey → `<memberId>\0<msgpack member>`. */
  members(channel: string): string {
    return this.channel('pm', channel);
  }

  /**
   * ZSET memberKey → entry stamp (the channel's version when it entered): the members in entry order, for REST
   * paging with cursors that stay valid while members come and go (src/store/redis/lua/presence-page.lua).
   */
  presenceOrder(channel: string): string {
    return this.channel('po', channel);
  }

  /** STRING: the members' version, bumped by every change (src/store/redis/lua/lib/presence-order.lua). */
  presenceVersion(channel: string): string {
    return this.channel('pv', channel);
  }

  /** SET of memberKeys one connection holds on one channel (same slot as the members hash). */
  connectionMembers(channel: string, connectionId: string): string {
    return `${this.channel('pc', channel)}:${connectionId}`;
  }

  /**
   * HASH memberKey → record of one connection's departed members on one channel (same slot as the members hash):
   * what the newness rules need after a member left (src/store/redis/lua/lib/presence-newness.lua).
   */
  departedMembers(channel: string, connectionId: string): string {
    return `${this.channel('pd', channel)}:${connectionId}`;
  }

  /** HASH nodeId → that node's attachment counts on the channel (src/occupancy/metrics.ts `encodeCounts`). */
  occupancy(channel: string): string {
    return this.channel('occ', channel);
  }

  /** SET of channel keys where a node has occupancy counts, so reaping it finds them. */
  nodeOccupancy(nodeId: string): string {
    return `${this.prefix}occn:{n:${nodeId}}`;
  }

  /** Per-channel event counter (INCR) and its epoch. */
  seq(channel: string): string {
    return this.channel('seq', channel);
  }

  epoch(channel: string): string {
    return this.channel('ep', channel);
  }

  /**
   * HASH connectionId → its publish record on the channel (msgSerial high-water and gaps), and ZSET connectionId → when:
   * the per-channel high-water that makes a retransmitted publish exactly-once (broker-publish.lua).
   */
  publishers(channel: string): string {
    return this.channel('pub', channel);
  }

  publishedAt(channel: string): string {
    return this.channel('pubt', channel);
  }

  /** Pub/sub channel carrying the channel's events. */
  events(channel: string): string {
    return this.channel('ev', channel);
  }

  /**
   * ZSET seq → `<16-digit timestamp><serial>\n<encoded event>` (or `<16-digit timestamp><msgpack event>`, see
   * RedisHistoryStore), and the highest seq evicted from it.
   */
  history(kind: HistoryKind, channel: string): string {
    return this.channel(HISTORY_PREFIX[kind], channel);
  }

  evicted(kind: HistoryKind, channel: string): string {
    return this.channel(`${HISTORY_PREFIX[kind]}e`, channel);
  }

  /** HASH message serial → the message's latest version without its data (src/messages: operated-on messages). */
  messageHeads(channel: string): string {
    return this.channel('mh', channel);
  }

  /** STRING: the latest data of one operated-on message (appends use APPEND: no rewrite per token). */
  messageData(channel: string, serial: string): string {
    return `${this.channel('md', channel)}:${serial}`;
  }

  /** LIST: the operations on one message, oldest first (its versions). */
  messageOperations(channel: string, serial: string): string {
    return `${this.channel('mo', channel)}:${serial}`;
  }

  /** HASH supersede key → the last version the broker published under it (src/store/broker.ts PublishOptions). */
  superseded(channel: string): string {
    return this.channel('sv', channel);
  }

  /** HASH message serial → msgpack summary state of its annotations (src/messages/summary.ts). */
  annotationSummaries(channel: string): string {
    return this.channel('as', channel);
  }

  /**
   * HASH message serial → its summary's fold record `<version> <serial of the last annotation folded>` (the
   * compare-and-set version of its summary; a bare version when written by a release before fold records).
   */
  annotationVersions(channel: string): string {
    return this.channel('av', channel);
  }

  /**
   * ZSET (all scores 0, so ordered by member): `<annotation serial>\0<msgpack annotation>` of one message, listed by
   * the broker's publish script (the msgpack leaves the serial out: it is made in the script).
   */
  annotations(channel: string, serial: string): string {
    return `${this.channel('al', channel)}:${serial}`;
  }

  /** HASH: the connection's state for resume on any node and the node that owns it. */
  connection(connectionId: string): string {
    return `${this.prefix}conn:{c:${connectionId}}`;
  }

  /** SET of channel keys where the connection has members (same slot as the connection hash). */
  connectionChannels(connectionId: string): string {
    return `${this.prefix}cch:{c:${connectionId}}`;
  }

  /**
   * HASH channel key → packed memberKeys the connection had there when its removal was claimed, as its owner knew
   * them (same slot as the connection hash): lets any node finish a removal cut short, after the owner's memory and
   * Redis' own per-channel record of them (memberTtl) are gone.
   */
  connectionLeaving(connectionId: string): string {
    return `${this.prefix}clv:{c:${connectionId}}`;
  }

  /** SET of connectionIds owned by a node. */
  nodeConnections(nodeId: string): string {
    return `${this.prefix}nc:{n:${nodeId}}`;
  }

  /** ZSET nodeId → last heartbeat (ms). */
  nodes(): string {
    return `${this.prefix}nodes`;
  }

  /** Claim on reaping a dead node, so one survivor does it. */
  reap(nodeId: string): string {
    return `${this.prefix}reap:{n:${nodeId}}`;
  }

  /** ZSET connectionId → when its members leave unless it resumes (grace periods that survive their node). */
  leaves(): string {
    return `${this.prefix}leaves`;
  }

  /** SET of connectionIds with a member of `clientId` on the channel (client transitions; channel's slot). */
  clientDevices(channel: string, clientId: string): string {
    return `${this.channel('cd', channel)}:${clientId}`;
  }

  /** LIST of a webhook's pending items (JSON), oldest first, and its delivery lease (same slot). */
  webhookQueue(webhookId: string): string {
    return `${this.prefix}whq:{w:${webhookId}}`;
  }

  webhookLease(webhookId: string): string {
    return `${this.prefix}whl:{w:${webhookId}}`;
  }

  /** STRING: a publish with client-supplied ids, claimed (`p…`) or done (`r<json result>`); `digest` hashes the ids. */
  publishDedupe(digest: string): string {
    return `${this.prefix}dd:${digest}`;
  }

  /** HASH `<keyName>\n<target>` → `<issuedBefore>:<appliesAt>`: every token revocation of the deployment. */
  revocations(): string {
    return `${this.prefix}revocations`;
  }

  /** Pub/sub channel announcing new revocations, so every node ends the live connections they cover. */
  revocationEvents(): string {
    return `${this.prefix}revoked`;
  }

  /** Pub/sub channel for node-to-node control messages (src/cluster/cluster-message.ts). */
  control(): string {
    return `${this.prefix}control`;
  }
}
