import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisClient } from './redis-client.ts';

const orphanScript = new LuaScript('connection-orphan', ['ttl']);
const holdScript = new LuaScript('presence-hold', ['ttl']);

export interface OrphanOptions {
  /** Longest grace a connection gets (its state lives no longer on one node either), ms. */
  connectionStateTtl: number;
  /** How long past its grace a connection's keys are kept, so the sweep that ends it still finds them, ms. */
  margin: number;
}

/**
 * What happens to one connection of a dead node. Its clients see an abrupt disconnect, so its members keep their
 * own remainPresentFor from the node's death (`diedAt`): the connection is marked disconnected with that leaveAt and
 * queued for the grace-period sweep, and its presence keys are held at least that long, so the TTL backstop can
 * never remove a member before its LEAVE. Each step touches one hash slot (the connection's, then each channel's).
 * Returns `remove` when Redis has no state for the connection, or it left with a removal cut short (its members
 * must leave now), else `held`.
 */
export async function orphanConnection(
  redis: RedisClient,
  keys: RedisKeys,
  connectionId: string,
  deadNode: string,
  diedAt: number,
  now: number,
  options: OrphanOptions,
): Promise<'remove' | 'held'> {
  const reply = await orphanScript.run(
    redis,
    [keys.connection(connectionId), keys.connectionChannels(connectionId)],
    [deadNode, Math.floor(diedAt), options.connectionStateTtl, Math.floor(now), options.margin],
  );
  if (reply === null) return 'remove';
  const leaveAt = Number(String(reply));
  if (!leaveAt) return 'held'; // resumed elsewhere: nothing of ours to hold
  await holdPresence(redis, keys, connectionId, Math.max(leaveAt - now, 0) + options.margin);
  // Scheduled like any disconnect: every node sweeps due leaves, so the grace ends even if the reaper dies too.
  await redis.zadd(keys.leaves(), leaveAt, connectionId);
  return 'held';
}

/** Holds the connection's presence keys on every channel where it has members for at least `ms`. */
export async function holdPresence(redis: RedisClient, keys: RedisKeys, connectionId: string, ms: number): Promise<void> {
  for (const channel of await redis.smembers(keys.connectionChannels(connectionId))) {
    const held = [
      keys.members(channel),
      keys.connectionMembers(channel, connectionId),
      keys.presenceOrder(channel),
      keys.presenceVersion(channel),
    ];
    await holdScript.run(redis, held, [Math.ceil(ms)]);
  }
}

/** Whether the connection's grace began with its node's death (it was orphaned and has not resumed since). */
export async function orphaned(redis: RedisClient, keys: RedisKeys, connectionId: string): Promise<boolean> {
  const [node, from] = await redis.hmget(keys.connection(connectionId), 'node', 'orphanedFrom');
  return from !== null && from === node;
}
