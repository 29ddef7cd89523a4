import {
  type AttachmentCounts,
  addCounts,
  decodeCounts,
  encodeCounts,
  isEmptyCounts,
  NO_ATTACHMENTS,
} from '../../occupancy/metrics.ts';
import type { NodeChannelCounts, OccupancyStore } from '../occupancy-store.ts';
import type { RedisKeys } from './keys.ts';
import type { RedisClient } from './redis-client.ts';

export interface RedisOccupancyOptions {
  /**
   * Backstop for a cluster whose every node died: entries vanish after this long (ms). Live nodes rewrite theirs
   * more often than that (the cluster pass, every memberTtl / 3); a dead node's entries are removed when it is reaped.
   */
  ttl: number;
  /** The nodes whose channel sets to read for {@link RedisOccupancyStore.activeChannels} (the node registry's list). */
  nodes(): Promise<string[]>;
}

/**
 * Per-node counts in one hash per channel (field = nodeId), plus a set per node naming its channels for reaping.
 * Each command touches one key, so no script is needed and keys of different slots never meet (Redis Cluster safe).
 */
export class RedisOccupancyStore implements OccupancyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: RedisOccupancyOptions,
  ) {}

  async write(nodeId: string, entries: NodeChannelCounts[]): Promise<void> {
    const index = this.keys.nodeOccupancy(nodeId);
    const ttl = this.options.ttl;
    const ops: Array<Promise<unknown>> = [];
    for (const { channel, counts } of entries) {
      const key = this.keys.occupancy(channel);
      if (isEmptyCounts(counts)) {
        ops.push(this.redis.hdel(key, nodeId), this.redis.srem(index, channel));
      } else {
        ops.push(
          this.redis.hset(key, nodeId, encodeCounts(counts)),
          this.redis.pexpire(key, ttl),
          this.redis.sadd(index, channel),
        );
      }
    }
    if (entries.length > 0) ops.push(this.redis.pexpire(index, ttl));
    await Promise.all(ops);
  }

  async others(channel: string, exceptNode: string): Promise<AttachmentCounts> {
    const fields = await this.redis.hgetall(this.keys.occupancy(channel));
    let sum: AttachmentCounts = NO_ATTACHMENTS;
    for (const [nodeId, value] of Object.entries(fields)) if (nodeId !== exceptNode) sum = addCounts(sum, decodeCounts(value));
    return { ...sum };
  }

  async removeNode(nodeId: string): Promise<string[]> {
    const index = this.keys.nodeOccupancy(nodeId);
    const channels = await this.redis.smembers(index);
    await Promise.all(channels.map((channel) => this.redis.hdel(this.keys.occupancy(channel), nodeId)));
    await this.redis.del(index);
    return channels;
  }

  /** One SMEMBERS per registered node: the per-node sets live in different slots, so no SUNION in Redis Cluster. */
  async activeChannels(): Promise<string[]> {
    const nodeIds = await this.options.nodes();
    const sets = await Promise.all(nodeIds.map((nodeId) => this.redis.smembers(this.keys.nodeOccupancy(nodeId))));
    return [...new Set(sets.flat())];
  }
}
