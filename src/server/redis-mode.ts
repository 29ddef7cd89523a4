import type { Cluster as RedisCluster } from 'ioredis';
import { Cluster } from '../cluster/cluster.ts';
import { type Config, describeRedisTarget, parseRedisTarget } from '../config/index.ts';
import type { DeliveryQueue } from '../integrations/delivery-queue.ts';
import type { DeviceRegistry } from '../integrations/device-registry.ts';
import type { Node, NodeDeps } from '../node/node.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { clusterShardsHealthy } from '../store/redis/cluster-probe.ts';
import { RedisKeys } from '../store/redis/keys.ts';
import { RedisAnnotationStore } from '../store/redis/redis-annotation-store.ts';
import { RedisBroker } from '../store/redis/redis-broker.ts';
import { RedisBus } from '../store/redis/redis-bus.ts';
import {
  closeRedisClients,
  connectRedisClients,
  createRedisClients,
  type RedisClients,
  timeCommands,
} from '../store/redis/redis-client.ts';
import { RedisConnectionDirectory } from '../store/redis/redis-connection-directory.ts';
import { RedisDeliveryQueue } from '../store/redis/redis-delivery-queue.ts';
import { RedisDeviceRegistry } from '../store/redis/redis-device-registry.ts';
import { RedisHistoryStore } from '../store/redis/redis-history-store.ts';
import { RedisLink } from '../store/redis/redis-link.ts';
import { RedisMessageStore } from '../store/redis/redis-message-store.ts';
import { RedisNodeRegistry } from '../store/redis/redis-node-registry.ts';
import { RedisOccupancyStore } from '../store/redis/redis-occupancy-store.ts';
import { RedisPresenceStore } from '../store/redis/redis-presence-store.ts';
import { RedisPublishDedupe } from '../store/redis/redis-publish-dedupe.ts';
import { RedisTokenRevocations } from '../store/redis/redis-token-revocations.ts';
import type { Clock, TimerHandle } from '../time/clock.ts';

/** Cluster mode's backends for the Node, plus the lifecycle the composition root drives. */
export interface RedisMode {
  deps: Pick<
    NodeDeps,
    | 'presenceStore'
    | 'broker'
    | 'history'
    | 'messageStore'
    | 'annotationStore'
    | 'directory'
    | 'occupancyStore'
    | 'revocations'
    | 'publishes'
  >;
  /** Shared device sets and webhook queues, so transitions happen once and deliveries survive a node. */
  integrations: { devices: DeviceRegistry; queue: DeliveryQueue };
  /** Connects to Redis (rejects if unreachable) and starts heartbeats, reaping and sweeping for `node`. */
  start(node: Node): Promise<void>;
  /** The cluster's nodes and their last heartbeats (the dashboard's node list). */
  nodes(): Promise<Array<{ nodeId: string; lastBeat: number }>>;
  /** Whether Redis is reachable (for /health and /ready); true before start. */
  healthy(): boolean;
  /** Leaves the cluster (members' grace periods stay in Redis for the survivors) and closes the clients. */
  stop(): Promise<void>;
}

/** Builds the Redis clients and every Redis backend for one node (the clients are created here, passed in below). */
export function createRedisMode(config: Config, clock: Clock, logger: Logger, metrics?: Metrics): RedisMode {
  const target = parseRedisTarget(config.redisUrl as string | string[]);
  const clients: RedisClients = createRedisClients(target);
  const keys = new RedisKeys(config.redisPrefix);
  const nodeId = config.serverId;
  const fail = (err: unknown) => logger.warn({ err }, 'cluster: connection directory update failed');
  const presenceStore = new RedisPresenceStore(clients.command, keys, {
    nodeId,
    memberTtl: config.memberTtl,
    connectionStateTtl: config.connectionStateTtl,
    // Outlives any resume of the connection: a grace-period removal happens before its state expires, and a cut
    // that hides a LEAVE's broadcast from its SDK starts within a heartbeat window of it.
    departedTtl: 2 * config.connectionStateTtl + config.nodeDownTimeout,
    readPageSize: config.presenceReadPageSize,
  });
  // Sharded pub/sub is chosen once the server version is known (start); nothing is published before that.
  const brokerOptions = {
    sharded: false,
    numberingTtl: config.historyMaxAge,
    // As long as a connection can resume anywhere (its state outlives a dead node by nodeDownTimeout).
    retransmitWindow: config.connectionStateTtl + config.nodeDownTimeout,
    // Wall time for a fresh epoch, so a numbering begun after Redis lost one sorts after it.
    now: () => clock.now(),
  };
  const history = new RedisHistoryStore(clients.command, keys, clock, {
    maxAge: config.historyMaxAge,
    maxPerChannel: config.historyMaxPerChannel,
    maxOperationsPerChannel: config.historyMaxOperationsPerChannel,
  });
  const messageStore = new RedisMessageStore(clients.command, keys, { ttl: config.historyMaxAge });
  const annotationStore = new RedisAnnotationStore(clients.command, keys, { ttl: config.historyMaxAge });
  const broker = new RedisBroker(clients, keys, brokerOptions, history, messageStore, annotationStore);
  const bus = new RedisBus(clients, keys);
  const link = new RedisLink(clients);
  if (metrics) watchRedis(metrics, clients, link);
  const directory = new RedisConnectionDirectory(
    clients.command,
    keys,
    bus,
    { nodeId, stateTtl: config.connectionStateTtl + config.nodeDownTimeout },
    fail,
    // A connection that resumed here brings its members: this node re-asserts them from now on.
    (connectionId) => presenceStore.adopt(connectionId),
  );
  const registry = new RedisNodeRegistry(clients.command, keys);
  // Rewritten with every re-assert (memberTtl / 3); the TTL only matters if every node died.
  const occupancyStore = new RedisOccupancyStore(clients.command, keys, {
    ttl: config.memberTtl,
    nodes: async () => (await registry.list()).map((n) => n.nodeId),
  });
  // Shared, so a revoked token is refused by every node and a retried publish is applied once whichever node it reaches.
  const revocations = new RedisTokenRevocations(clients, keys, (err) =>
    logger.warn({ err }, 'cluster: revocations reload failed'),
  );
  const publishes = new RedisPublishDedupe(clients.command, keys, clock);
  let cluster: Cluster | undefined;
  let probeTimer: TimerHandle | undefined;
  return {
    deps: { presenceStore, broker, history, messageStore, annotationStore, directory, occupancyStore, revocations, publishes },
    integrations: {
      devices: new RedisDeviceRegistry(clients.command, keys),
      queue: new RedisDeliveryQueue(clients.command, keys),
    },
    async start(node) {
      await connectRedisClients(clients);
      const info = await clients.command.info('server');
      const major = Number(/redis_version:(\d+)/.exec(info)?.[1] ?? 0);
      brokerOptions.sharded = major >= 7;
      await bus.start();
      await revocations.start();
      cluster = new Cluster({
        node,
        config,
        clock,
        store: presenceStore,
        registry,
        bus,
        link,
      });
      cluster.start();
      if (clients.kind === 'cluster') {
        // A failed shard does not close the client: probe the shards every heartbeat so readiness shows the outage.
        const sharded = clients.command as RedisCluster;
        let probing = false;
        probeTimer = clock.setInterval(() => {
          if (probing) return;
          probing = true;
          clusterShardsHealthy(sharded, clock, config.nodeHeartbeatInterval)
            .then((ok) => link.probe(ok))
            .finally(() => {
              probing = false;
            });
        }, config.nodeHeartbeatInterval);
      }
      // Credentials, if any, are masked: a Redis password is a secret too.
      const redisUrl = describeRedisTarget(target);
      const pubsub = brokerOptions.sharded ? 'sharded' : 'classic';
      logger.info({ nodeId, redisUrl, pubsub }, `cluster: node ${nodeId} joined via ${redisUrl} (${pubsub} pub/sub)`);
    },
    nodes: () => registry.list(),
    healthy: () => link.isUp(),
    async stop() {
      if (probeTimer) clock.clearInterval(probeTimer);
      await cluster?.stop();
      closeRedisClients(clients);
    },
  };
}

/** Cluster mode's series: command latency, and whether Redis is reachable (outages counted as they begin). */
function watchRedis(metrics: Metrics, clients: RedisClients, link: RedisLink): void {
  const latency = metrics.histogram(
    'rollcall_redis_command_duration_seconds',
    'Redis command latency (command client: presence, history, publish, scripts), send to reply.',
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  timeCommands(clients.command, (seconds) => latency.observe(seconds));
  metrics.gauge('rollcall_redis_up', '1 while this node reaches Redis, 0 during an outage (not ready, clients kept).', () =>
    link.isUp() ? 1 : 0,
  );
  const outages = metrics.counter('rollcall_redis_outages_total', 'Times this node lost its connection to Redis.');
  link.onChange((up) => {
    if (!up) outages.inc();
  });
}
