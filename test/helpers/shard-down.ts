import type { RedisClient } from '../../src/store/redis/redis-client.ts';

/**
 * `client`, except that scripts on a key `isDown(key)` names fail: on a Redis Cluster, the shard of one channel
 * failing over while the connection's shard serves (a real crash is in test/cluster/cluster-failover.test.ts, where
 * the interleaving this stands for shows only now and then). Only scripts (`callBuffer`) are cut, as the
 * removal's per-channel steps are scripts.
 */
export function shardDown(client: RedisClient, isDown: (key: string) => boolean): RedisClient {
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (prop !== 'callBuffer') return value.bind(target);
      return (...args: unknown[]) => {
        const keys = args.slice(3, 3 + Number(args[2])) as string[];
        const down = keys.find(isDown);
        if (down !== undefined) return Promise.reject(new Error(`connect ECONNREFUSED (${down}: shard down)`));
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}
