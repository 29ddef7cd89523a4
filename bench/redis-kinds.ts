import { startRedis } from '../test/helpers/redis.ts';
import { startRedisCluster } from '../test/helpers/redis-topologies.ts';

/** The Redis deployments the cross-node scenarios compare in one run: one server, and a 3-master Redis Cluster. */
export type RedisKind = 'single' | 'cluster';
export const REDIS_KINDS: readonly RedisKind[] = ['single', 'cluster'];
export const REDIS_LABEL: Record<RedisKind, string> = { single: 'one Redis', cluster: 'Redis Cluster, 3 masters' };

/**
 * Starts a private deployment of `kind` (the test helpers' processes, on free ports) and returns what `redisUrl`
 * is given; its teardown is pushed on `stops`.
 */
export async function startRedisOfKind(kind: RedisKind, stops: Array<() => unknown>): Promise<string> {
  const after = (fn: () => unknown) => stops.push(fn);
  return kind === 'cluster' ? (await startRedisCluster({ after })).url : (await startRedis({ after })).url;
}
