import type { Cluster, Redis } from 'ioredis';

/**
 * What ioredis 6 keeps of a Cluster client's sharded subscribers (one connection per master, created and replaced
 * by its ClusterSubscriberGroup). Not public API: read only here, and only to PING each connection; if a later
 * ioredis changes the shape, {@link shardSubscriberConnections} finds none and the group's own `subscribersReady`
 * is trusted alone.
 */
interface SubscriberGroupInternals {
  shardedSubscribers?: { shardedSubscribers?: Map<string, { getInstance(): Redis | null }> };
}

/** The live connections of a Cluster client's sharded subscribers (those ever connected: idle shards hold no channel). */
export function shardSubscriberConnections(subscriber: Cluster): Redis[] {
  const group = (subscriber as unknown as SubscriberGroupInternals).shardedSubscribers?.shardedSubscribers;
  if (!(group instanceof Map)) return [];
  const out: Redis[] = [];
  for (const sub of group.values()) {
    const redis = sub.getInstance();
    // `wait`: a lazy subscriber never started (no channel of its shard is subscribed); a PING would connect it.
    if (redis && redis.status !== 'wait') out.push(redis);
  }
  return out;
}

/**
 * Follows the sharded subscribers of a Redis Cluster client: `lost` when any of them drops (its connection ended,
 * or the group removed it: a failover or a topology change moves its slots elsewhere) or the whole client closes,
 * `restored` once the group has re-created them, each one answered a PING sent after its re-subscriptions
 * (ioredis sends those before announcing `subscribersReady`; a PING's answer follows theirs on the same
 * connection), and the client is ready. A check that a new loss overtakes is discarded.
 */
export function watchShardSubscribers(subscriber: Cluster, lost: () => void, restored: () => void): void {
  let generation = 0;
  let verified = 0;
  const settle = () => {
    if (verified === generation && subscriber.status === 'ready') restored();
  };
  const onLost = () => {
    generation++;
    lost();
  };
  // The group's `-node` names the shard (its subscriber ended); the command pool's has no key and is not ours.
  subscriber.on('-node', (_redis: unknown, nodeKey?: string) => {
    if (nodeKey !== undefined) onLost();
  });
  subscriber.on('-subscriber', onLost);
  subscriber.on('close', onLost);
  subscriber.on('end', onLost);
  subscriber.on('ready', settle);
  subscriber.on('subscribersReady', () => {
    const checked = generation;
    Promise.all(shardSubscriberConnections(subscriber).map((redis) => redis.ping())).then(
      () => {
        if (checked !== generation) return;
        verified = checked;
        settle();
      },
      // One of them failed to (re)connect: the group refreshes and announces `subscribersReady` again.
      () => {},
    );
  });
}
