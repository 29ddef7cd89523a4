import type { Cluster, Redis } from 'ioredis';

/**
 * What ioredis 6 keeps of a Cluster client's sharded subscribers (one connection per master, created and replaced
 * by its ClusterSubscriberGroup). Not public API: read only here, and only to PING each connection; if a later
 * ioredis changes the shape, {@link shardSubscriberConnections} finds none and the group's own `subscribersReady`
 * is trusted alone.
 */
interface SubscriberGroupInternals {
  shardedSubscribers?: {
    shardedSubscribers?: Map<string, { getInstance(): Redis | null }>;
    /** Set while a reset runs; later resets wait for it (see {@link watchShardSubscribers}'s `check`). */
    isResetting?: boolean;
  };
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
export function watchShardSubscribers(subscriber: Cluster, lost: () => void, restored: () => void): () => void {
  let generation = 0;
  let verified = 0;
  let stuckSince: number | undefined;
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
    stuckSince = undefined;
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
  /**
   * Called periodically (every shard probe). ioredis 6.0.0's group can wedge: when the client drops while a reset
   * is starting subscribers, their start never settles (its listeners are removed), the reset never ends, and every
   * later reset only waits behind it: the shards' subscribers are never re-created and this node would hear
   * nothing again. Seen on two checks in a row with the client ready and nothing restored, the flag is cleared and
   * the topology refreshed, which re-creates them.
   */
  return () => {
    const group = (subscriber as unknown as SubscriberGroupInternals).shardedSubscribers;
    if (verified === generation || subscriber.status !== 'ready' || !group?.isResetting) {
      stuckSince = undefined;
      return;
    }
    if (stuckSince !== generation) {
      stuckSince = generation;
      return;
    }
    stuckSince = undefined;
    group.isResetting = false;
    subscriber.refreshSlotsCache();
  };
}
