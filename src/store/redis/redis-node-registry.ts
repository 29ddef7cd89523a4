import type { NodeRegistry } from '../../cluster/node-registry.ts';
import type { RedisKeys } from './keys.ts';
import type { RedisClient } from './redis-client.ts';

/** Heartbeats as one sorted set (node → last beat), so finding silent nodes is one range query. */
export class RedisNodeRegistry implements NodeRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async beat(nodeId: string, now: number): Promise<void> {
    await this.redis.zadd(this.keys.nodes(), now, nodeId);
  }

  async silentSince(cutoff: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.nodes(), '-inf', `(${cutoff}`);
  }

  async claimReap(nodeId: string, by: string, ttl: number): Promise<boolean> {
    return (await this.redis.set(this.keys.reap(nodeId), by, 'PX', ttl, 'NX')) === 'OK';
  }

  async list(): Promise<Array<{ nodeId: string; lastBeat: number }>> {
    const flat = await this.redis.zrange(this.keys.nodes(), '0', '-1', 'WITHSCORES');
    const out: Array<{ nodeId: string; lastBeat: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ nodeId: flat[i] as string, lastBeat: Number(flat[i + 1]) });
    return out;
  }

  async forget(nodeId: string): Promise<void> {
    await this.redis.zrem(this.keys.nodes(), nodeId);
  }
}
