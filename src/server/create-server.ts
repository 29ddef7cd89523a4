import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { CometEndpoint } from '../comet/index.ts';
import { type Config, resolveConfig } from '../config/index.ts';
import { createDashboard } from '../dashboard/dashboard-handler.ts';
import { nodeStatuses } from '../dashboard/node-status.ts';
import { Integrations } from '../integrations/integrations.ts';
import { MemoryDeliveryQueue } from '../integrations/memory-delivery-queue.ts';
import { MemoryDeviceRegistry } from '../integrations/memory-device-registry.ts';
import { ObservedBroker } from '../integrations/observed-broker.ts';
import { watchWebhooks } from '../integrations/webhook-metrics.ts';
import { type ConnectionLifecycle, Node } from '../node/node.ts';
import { logConnectionLifecycle } from '../observability/connection-log.ts';
import { type Logger, silentLogger, textLogger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { ServerMetrics, watchNode } from '../observability/metrics-server.ts';
import { createRestApi } from '../rest/router.ts';
import { MemoryStatsStore, StatsRecorder, type StatsStore } from '../stats/index.ts';
import { MemoryAnnotationStore } from '../store/memory/memory-annotation-store.ts';
import { MemoryBroker } from '../store/memory/memory-broker.ts';
import { MemoryHistoryStore } from '../store/memory/memory-history-store.ts';
import { MemoryMessageStore } from '../store/memory/memory-message-store.ts';
import { MemoryPresenceStore } from '../store/memory/memory-presence-store.ts';
import { type Clock, systemClock } from '../time/clock.ts';
import { createRedisMode } from './redis-mode.ts';
import { loadTlsMaterial } from './tls.ts';
import { WsEndpoint } from './ws-transport.ts';

export interface ServerOptions extends Partial<Config> {
  clock?: Clock;
  /** Where the server logs (see src/observability/logger.ts); default: nowhere. */
  logger?: Logger;
  /** Shorthand for `logger: textLogger(log)`: records at info and above as lines of text. */
  log?: (message: string) => void;
  /** Where `GET /stats` reads from (the sandbox passes one holding its fixtures); in memory by default. */
  stats?: StatsStore;
}

/** A running Rollcall server: HTTP (REST) and WebSocket (realtime) on one port. */
export interface RollcallServer {
  readonly node: Node;
  readonly config: Config;
  /** Whether the port speaks HTTPS and WSS (tlsCert and tlsKey configured). */
  readonly tls: boolean;
  /** Client transitions, `[meta]clients` and webhooks. */
  readonly integrations: Integrations;
  /**
   * The metrics registry served at `/metrics` (undefined when `metrics: false`). Other rooms add their series to it
   * (`metrics.counter(...)`, or any prom-client metric with `registers: [metrics.registry]`).
   */
  readonly metrics: Metrics | undefined;
  listen(): Promise<AddressInfo>;
  /** Tells clients to reconnect, closes sockets, and stops listening; resolves when done or after shutdownDrainTime. */
  close(): Promise<void>;
}

/** The composition root: wires Clock, stores, broker, Node, REST and the WebSocket endpoint (`/`). */
export function createServer(options: ServerOptions = {}): RollcallServer {
  const { clock = systemClock, log, logger: given, stats, ...partial } = options;
  const logger = given ?? (log ? textLogger(log) : silentLogger);
  const config = resolveConfig(partial);
  // Read and checked before anything starts, so a bad file is a start-up error rather than failing handshakes.
  const tls = config.tlsCert !== undefined ? loadTlsMaterial(config.tlsCert, config.tlsKey as string) : undefined;
  // One registry per server; in cluster mode every series carries the node id, so nodes' series stay apart.
  const metrics = config.metrics ? new Metrics(config.redisUrl ? { nodeId: config.serverId } : {}) : undefined;
  // Cluster mode only when a Redis URL is configured; ioredis is loaded only then.
  const redis = config.redisUrl ? createRedisMode(config, clock, logger, metrics) : undefined;
  const backends = redis?.deps ?? memoryBackends(config, clock);
  const integrationStores = redis?.integrations ?? { devices: new MemoryDeviceRegistry(), queue: new MemoryDeliveryQueue(clock) };
  const integrations = new Integrations({
    config,
    clock,
    broker: backends.broker,
    log: (message) => logger.warn({ component: 'integrations' }, message),
    ...integrationStores,
  });
  if (metrics) watchWebhooks(metrics, integrations, integrationStores.queue);
  // Live stats count what is published here the same way, from the broker.
  const statsRecorder = new StatsRecorder(stats ?? new MemoryStatsStore(), clock);
  // Published messages reach channel.message webhooks through the broker, so realtime and REST need no hook.
  const observed = integrations.dispatcher.wantsSource('channel.message')
    ? new ObservedBroker(backends.broker, integrations.observePublish)
    : backends.broker;
  const broker = new ObservedBroker(observed, statsRecorder.observePublish);
  const node = new Node({ config, clock, logger, ...backends, broker, metrics: metrics && new ServerMetrics(metrics) });
  node.presence.observer = integrations.observePresence;
  node.channels.listener = integrations.watchChannels((key) => node.occupancy.metrics(key));
  // maxPayload leaves room above maxFrameSize so oversized frames get an Ably error instead of a bare close (1009).
  const endpoint = new WsEndpoint(config.maxFrameSize * 2);
  // HTTP long-polling, for clients whose WebSocket is blocked (ably-js falls back to it).
  const comet = new CometEndpoint(node, config, clock);
  // Cluster mode: a node cut off from Redis keeps its clients but reports itself unhealthy and not ready.
  const health = redis
    ? () => {
        const up = redis.healthy();
        return { up, detail: { redis: up ? 'up' : 'down' } };
      }
    : undefined;
  logConnectionLifecycle(node.events, logger);
  node.events.on('connection', (step: ConnectionLifecycle) => {
    const appId =
      step.phase === 'opened' && step.connectionId ? node.connections.get(step.connectionId)?.identity.appId : undefined;
    if (appId) statsRecorder.connectionOpened(appId);
  });
  if (metrics) watchNode(metrics, node);
  const handleRest = createRestApi(node, health, metrics, statsRecorder);
  const dashboard = config.dashboard
    ? createDashboard(node, {
        nodes: async () =>
          nodeStatuses({
            beats: redis ? await redis.nodes().catch(() => []) : [],
            selfId: config.serverId,
            selfHealthy: redis?.healthy() ?? true,
            selfConnections: node.connections.size,
            now: clock.now(),
            heartbeatInterval: config.nodeHeartbeatInterval,
            nodeDownTimeout: config.nodeDownTimeout,
          }),
      })
    : undefined;
  const onRequest: RequestListener = (req, res) => {
    if (dashboard?.handle(req, res)) return;
    if (comet.handle(req, res)) return;
    handleRest(req, res).catch((err) => {
      node.fail(err);
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
  // One port either way: HTTPS serves REST and upgrades to WSS exactly as HTTP does to WS.
  const http: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, onRequest) : createHttpServer(onRequest);
  http.keepAliveTimeout = config.httpKeepAliveTimeout;
  // Node requires the header deadline to exceed the keep-alive timeout, or idle sockets race it.
  http.headersTimeout = config.httpKeepAliveTimeout + 1_000;
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    // Credentials are checked after the upgrade: the SDK cannot read an HTTP refusal (Ably §1.5).
    endpoint.upgrade(req, socket, head, (transport) => transport.bind(node.open(transport, url.searchParams)));
  });

  return {
    node,
    config,
    tls: tls !== undefined,
    integrations,
    metrics,
    listen: async () => {
      await redis?.start(node);
      integrations.start();
      return new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => resolve(http.address() as AddressInfo));
      });
    },
    close: async () => {
      node.shutdown();
      dashboard?.close();
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      const timeout = new Promise<void>((resolve) => clock.setTimeout(resolve, config.shutdownDrainTime));
      await Promise.race([endpoint.drained(), timeout]);
      endpoint.terminateAll();
      comet.terminateAll();
      http.closeAllConnections();
      await stopped;
      await integrations.stop();
      await node.broker.close();
      await redis?.stop();
    },
  };
}

/** The single-node backends: the broker keeps what it publishes in this history, message and annotation store. */
function memoryBackends(config: Config, clock: Clock) {
  const history = new MemoryHistoryStore(clock, {
    maxAge: config.historyMaxAge,
    maxPerChannel: config.historyMaxPerChannel,
    maxOperationsPerChannel: config.historyMaxOperationsPerChannel,
  });
  const messageStore = new MemoryMessageStore(clock, {
    maxAge: config.historyMaxAge,
    maxPerChannel: config.historyMaxOperationsPerChannel,
  });
  const annotationStore = new MemoryAnnotationStore(clock, {
    maxAge: config.historyMaxAge,
    maxPerChannel: config.historyMaxOperationsPerChannel,
  });
  // The epoch starts at process start, so a restarted server's serials sort after the previous process's.
  const broker = new MemoryBroker(history, clock.now(), messageStore, annotationStore);
  return { presenceStore: new MemoryPresenceStore(), broker, history, messageStore, annotationStore };
}
