import { createRequire } from 'node:module';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { parseRedisTarget, type RedisTarget } from '../../config/redis-target.ts';

/**
 * The Redis client type the Redis backends take (ioredis): one server (possibly found through Sentinel) or a Redis
 * Cluster. Backends receive clients; they never create them. Every command and script they send touches the keys
 * of one hash slot (src/store/redis/keys.ts), so both kinds route it the same way.
 */
export type RedisClient = Redis | Cluster;

/** The clients one node needs: commands and scripts on one, subscriptions on the other (a subscriber can do nothing else). */
export interface RedisClients {
  command: RedisClient;
  subscriber: RedisClient;
  /** Which kind of deployment they talk to. */
  kind: RedisTarget['kind'];
}

interface IoRedis {
  Redis: new (...args: unknown[]) => Redis;
  Cluster: new (nodes: Array<{ host: string; port: number }>, options: ClusterOptions) => Cluster;
}

/**
 * Creates the clients for `where` (a target, or a `redisUrl` string as src/config/redis-target.ts reads it). ioredis is loaded here, on demand, so a memory-mode process never loads it.
 * Commands fail fast while Redis is unreachable (no offline queue): callers turn that into an error for the client
 * instead of hanging. Reconnection is retried for ever with a capped backoff; through Sentinel each reconnection
 * asks the sentinels for the current master, so a failover is followed.
 */
export function createRedisClients(where: RedisTarget | string): RedisClients {
  const target = typeof where === 'string' ? parseRedisTarget(where) : where;
  const require = createRequire(import.meta.url);
  const io = require('ioredis') as IoRedis;
  const base: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(50 * attempt, 500),
  };
  if (target.kind === 'single') {
    return {
      kind: 'single',
      command: new io.Redis(target.url, { ...base, connectionName: 'rollcall' }),
      // Subscriptions are re-issued by ioredis after a reconnect (autoResubscribe).
      subscriber: new io.Redis(target.url, { ...base, connectionName: 'rollcall-sub', autoResubscribe: true }),
    };
  }
  const auth = {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
  if (target.kind === 'sentinel') {
    const sentinel: RedisOptions = {
      ...base,
      ...auth,
      sentinels: target.sentinels,
      name: target.name,
      db: target.db,
      sentinelRetryStrategy: (attempt) => Math.min(50 * attempt, 500),
      // No failoverDetector: on +switch-master it disconnects the connector, and when that lands while the client is
      // already reconnecting (its master died) the reconnection is abandoned for good (status `end`, never retried).
      // A failover is followed without it: a dead master closes the connection, and a demoted live one has its
      // clients killed by the sentinels; each reconnection asks them for the master and checks its role.
      // A write that reaches a replica anyway (a stale answer) is answered READONLY: reconnect to find the master.
      reconnectOnError: (err) => err.message.startsWith('READONLY'),
      ...(target.tls ? { enableTLSForSentinelMode: true } : {}),
    };
    return {
      kind: 'sentinel',
      command: new io.Redis({ ...sentinel, connectionName: 'rollcall' }),
      subscriber: new io.Redis({ ...sentinel, connectionName: 'rollcall-sub', autoResubscribe: true }),
    };
  }
  const cluster = (connectionName: string, sharded: boolean): Cluster =>
    new io.Cluster(target.nodes, {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: (attempt) => Math.min(50 * attempt, 500),
      // A failed shard answers CLUSTERDOWN or drops; a short retry rides out a replica promotion, then it fails fast.
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      slotsRefreshTimeout: 1_000,
      // No periodic refresh: ioredis 6 re-arms its refresh timer when a refresh is in flight at disconnect, which
      // keeps a stopped node's process alive. The topology is refreshed on MOVED and failed nodes, and by the shard
      // probe while a shard is failing (src/store/redis/cluster-probe.ts).
      slotsRefreshInterval: 0,
      // One subscriber connection per master, so SSUBSCRIBE of a channel goes to the shard that owns its slot.
      shardedSubscribers: sharded,
      redisOptions: { connectTimeout: 2_000, maxRetriesPerRequest: 1, connectionName, ...auth },
    });
  return { kind: 'cluster', command: cluster('rollcall', false), subscriber: cluster('rollcall-sub', true) };
}

/** Connects both clients; rejects if Redis is unreachable. */
export async function connectRedisClients(clients: RedisClients): Promise<void> {
  await Promise.all([clients.command.connect(), clients.subscriber.connect()]);
}

/**
 * Closes both clients after their pending commands (QUIT); at once if Redis is gone. A Cluster client is
 * disconnected at once: its QUIT goes through per-node connections that queue while a node is unreachable, and
 * would keep the process alive.
 */
export async function closeRedisClients(clients: RedisClients): Promise<void> {
  if (clients.kind === 'cluster') {
    clients.command.disconnect();
    clients.subscriber.disconnect();
    return;
  }
  await Promise.all(
    [clients.command, clients.subscriber].map((c) =>
      c.quit().then(
        () => c.disconnect(),
        () => c.disconnect(),
      ),
    ),
  );
}

/**
 * Reports how long each command of `client` took, from sending to its reply or failure, in seconds (for a latency
 * histogram). Wraps this one client's `sendCommand`, through which ioredis sends every command and script.
 */
export function timeCommands(client: RedisClient, observe: (seconds: number) => void): void {
  // One server and a Cluster both send through `sendCommand` (with different parameters); only the reply matters.
  const target = client as unknown as { sendCommand: (...args: unknown[]) => unknown };
  const send = target.sendCommand.bind(target);
  target.sendCommand = (...args: unknown[]) => {
    // A monotonic duration, not wall time: performance.now() rather than the injected Clock.
    const start = performance.now();
    const done = () => observe((performance.now() - start) / 1000);
    // ioredis types the result as unknown; it is the command's promise.
    const reply = send(...args) as Promise<unknown>;
    reply.then(done, done);
    return reply;
  };
}
