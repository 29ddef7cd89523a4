import { EventEmitter } from 'node:events';
import { Authenticator } from '../auth/authenticator.ts';
import type { TokenRevocations } from '../auth/revocations.ts';
import { ChannelRegistry } from '../channel/channel-registry.ts';
import type { ConnectionDirectory, ConnectionRecord } from '../cluster/connection-directory.ts';
import type { Config } from '../config/index.ts';
import { type Attachment, Connection } from '../connection/connection.ts';
import type { Transport, TransportEvents } from '../connection/transport.ts';
import { ErrorInfo } from '../errors/index.ts';
import { AnnotationService } from '../messages/annotation-service.ts';
import type { AnnotationStore } from '../messages/annotation-store.ts';
import { MessageService } from '../messages/message-service.ts';
import type { MessageStore } from '../messages/message-store.ts';
import { type Logger, silentLogger } from '../observability/logger.ts';
import type { CloseReason, ServerMetrics } from '../observability/metrics-server.ts';
import { OccupancyService } from '../occupancy/occupancy-service.ts';
import { PresenceService } from '../presence/presence-service.ts';
import { Action, type ProtocolMessage } from '../protocol/index.ts';
import type { Broker, ChannelEvent } from '../store/broker.ts';
import type { HistoryStore } from '../store/history-store.ts';
import { MemoryAnnotationStore } from '../store/memory/memory-annotation-store.ts';
import { MemoryMessageStore } from '../store/memory/memory-message-store.ts';
import { MemoryOccupancyStore } from '../store/memory/memory-occupancy-store.ts';
import { MemoryPublishDedupe } from '../store/memory/memory-publish-dedupe.ts';
import { MemoryTokenRevocations } from '../store/memory/memory-token-revocations.ts';
import type { OccupancyStore } from '../store/occupancy-store.ts';
import { type PresenceStore, RemovalCutShort } from '../store/presence-store.ts';
import type { PublishDedupe } from '../store/publish-dedupe.ts';
import type { Clock, TimerHandle } from '../time/clock.ts';
import { type ConnectParams, parseConnectParams } from './connect-params.ts';
import { handleFrame } from './dispatch.ts';
import { looksLikeConnectionKey, newConnectionId, newConnectionKey } from './ids.ts';
import { checkLiveness } from './liveness.ts';
import { PresenceBatcher } from './presence-batcher.ts';

/** Most frames kept from a client while its credentials are still being verified; later ones are dropped. */
const EARLY_FRAMES = 64;

export interface NodeDeps {
  config: Config;
  clock: Clock;
  presenceStore: PresenceStore;
  broker: Broker;
  history: HistoryStore;
  /**
   * Operated-on messages, read here: give the store the broker records operations in (`PublishOptions.apply`).
   * Default: a new in-memory one, for nodes whose broker records none (it throws on a message operation).
   */
  messageStore?: MessageStore;
  /** Annotations and summaries (default: in memory, single node). */
  annotationStore?: AnnotationStore;
  /** Cluster mode: connection state shared with other nodes, so a client can resume on any of them. */
  directory?: ConnectionDirectory;
  /** Cluster mode: each node's attachment counts per channel; default in memory (one node). */
  occupancyStore?: OccupancyStore;
  /** Cluster mode: token revocations every node sees; default in memory (one node). */
  revocations?: TokenRevocations;
  /** Cluster mode: publishes with client ids remembered for every node; default in memory (one node). */
  publishes?: PublishDedupe;
  logger?: Logger;
  /** Counters for `/metrics`; undefined when metrics are off. */
  metrics?: ServerMetrics;
}

/**
 * One step in a connection's life, emitted as `connection` on `node.events` (logged at debug; for metrics too).
 * `refused` has no connectionId: the credentials or parameters were rejected before one was given.
 */
export interface ConnectionLifecycle {
  phase: 'opened' | 'resumed' | 'refused' | 'disconnected' | 'closed';
  connectionId?: string;
  clientId?: string | null;
  /** Why it was refused, disconnected or closed; for `opened`, why a requested resume could not be honoured. */
  reason?: string;
  /** The Ably error code of a refusal or of a failed resume. */
  code?: number;
}

/**
 * The coordinator of one Rollcall process: connections on this node, their channel attachments, and the services
 * they use. Transport-agnostic: `server/` hands it Transports.
 */
export class Node {
  readonly config: Config;
  readonly clock: Clock;
  readonly auth: Authenticator;
  readonly broker: Broker;
  readonly history: HistoryStore;
  readonly presence: PresenceService;
  /** Channel occupancy for REST and `[meta]occupancy` events. */
  readonly occupancy: OccupancyService;
  /** Message operations (update, delete, append) and reading messages by serial. */
  readonly messages: MessageService;
  /** Annotations of messages and their summaries. */
  readonly annotations: AnnotationService;
  /** Publishes with client-supplied ids, realtime and REST, so a retry is applied once (Ably RSL1k, RTL6). */
  readonly publishes: PublishDedupe;
  readonly channels = new ChannelRegistry();
  readonly connections = new Map<string, Connection>();
  private readonly byKey = new Map<string, Connection>();
  private readonly livenessTimer: TimerHandle;
  /** Fans broker events out to local attachments, merging PRESENCE of busy channels. */
  private readonly batcher: PresenceBatcher;
  /**
   * Lifecycle notifications for observers (tests, metrics): `transport-lost` (connectionId) when a transport drops
   * without CLOSE, `disposed` (connectionId) when a connection's state is freed, and `connection`
   * ({@link ConnectionLifecycle}) for every step of a connection's life.
   */
  readonly events = new EventEmitter();
  readonly logger: Logger;
  /** Counters for `/metrics` (pre-bound, bumped in place); undefined when metrics are off. */
  readonly metrics: ServerMetrics | undefined;
  private readonly directory: ConnectionDirectory | undefined;
  /** The msgSerial high-water last written to the directory, per connection (cluster mode). */
  private readonly savedSerials = new WeakMap<Connection, number>();

  constructor(deps: NodeDeps) {
    this.config = deps.config;
    this.directory = deps.directory;
    this.clock = deps.clock;
    this.broker = deps.broker;
    this.history = deps.history;
    this.logger = deps.logger ?? silentLogger;
    this.metrics = deps.metrics;
    this.auth = new Authenticator(deps.config, deps.clock, deps.revocations ?? new MemoryTokenRevocations());
    this.publishes = deps.publishes ?? new MemoryPublishDedupe(deps.clock);
    const retention = { maxAge: deps.config.historyMaxAge, maxPerChannel: deps.config.historyMaxOperationsPerChannel };
    this.annotations = new AnnotationService({
      broker: deps.broker,
      clock: deps.clock,
      store: deps.annotationStore ?? new MemoryAnnotationStore(deps.clock, retention),
      message: (key, serial) => this.messages.find(key, serial),
      maxMessageSize: deps.config.maxMessageSize,
      maxClientIdLength: deps.config.maxClientIdLength,
      maxSummaryClientIds: deps.config.maxSummaryClientIds,
    });
    this.messages = new MessageService({
      broker: deps.broker,
      history: deps.history,
      clock: deps.clock,
      maxMessageSize: deps.config.maxMessageSize,
      withSummaries: (key, messages) => this.annotations.withSummaries(key, messages),
      store:
        deps.messageStore ??
        new MemoryMessageStore(deps.clock, {
          maxAge: deps.config.historyMaxAge,
          maxPerChannel: deps.config.historyMaxOperationsPerChannel,
        }),
    });
    this.presence = new PresenceService(deps.presenceStore, deps.broker, deps.clock, deps.metrics, deps.config.syncCacheMembers);
    this.batcher = new PresenceBatcher(
      deps.clock,
      {
        window: deps.config.presenceBatchWindow,
        maxItems: deps.config.presenceBatchMaxItems,
        maxBytes: Math.floor(deps.config.maxFrameSize / 4),
        minSubscribers: deps.config.presenceBatchMinSubscribers,
      },
      (channel) => this.channels.attachments(channel),
    );
    this.occupancy = new OccupancyService({
      nodeId: deps.config.serverId,
      clock: deps.clock,
      interval: deps.config.occupancyEventInterval,
      store: deps.occupancyStore ?? new MemoryOccupancyStore(),
      attachments: (channel) => this.channels.attachments(channel),
      presenceCount: (channel) => this.presence.store.count(channel),
      fail: this.fail,
    });
    this.broker.onEvent((event) => {
      if (!this.intercept?.(event)) this.fanOut(event);
    });
    const tick = Math.min(1000, Math.max(25, Math.floor(deps.config.minHeartbeatInterval / 4)));
    this.livenessTimer = this.clock.setInterval(() => checkLiveness(this), tick);
  }

  /**
   * When set, sees every broker event before the attachments do; returning true keeps the event from them (the
   * cluster holds a channel's live events while it replays what this node missed, src/cluster/missed-messages.ts,
   * and hands them to {@link fanOut} afterwards).
   */
  intercept: ((event: ChannelEvent) => boolean) | undefined;

  /** Delivers one channel event to this node's attachments (each sends it at most once, in seq order). */
  fanOut(event: ChannelEvent): void {
    this.batcher.deliver(event);
    if (event.message.action === Action.PRESENCE) this.occupancy.presenceChanged(event.channel);
  }

  /** Reports an unexpected failure without taking the process down. */
  readonly fail = (err: unknown): void => {
    this.logger.error({ err }, 'internal error');
  };

  /**
   * A new transport arrived with the upgrade query. Authenticates, resumes or creates the connection and sends
   * CONNECTED; bad credentials get an ERROR and a close (never a refused upgrade, Ably §1.5).
   */
  open(transport: Transport, query: URLSearchParams): TransportEvents {
    let conn: Connection | undefined;
    let gone = false;
    // Credentials are checked asynchronously (JWTs); frames arriving meanwhile wait here, a bounded number of them.
    let early: Array<[Buffer, boolean]> | undefined = [];
    this.accept(transport, parseConnectParams(query, this.config), () => gone)
      .then((accepted) => {
        conn = accepted;
        const frames = early ?? [];
        early = undefined;
        for (const [frame, isBinary] of frames)
          if (conn && conn.transport === transport) handleFrame(this, conn, frame, isBinary);
      })
      .catch(this.fail);
    // These closures live as long as the socket: they capture only what they use, not the connect parameters.
    return {
      onFrame: (frame, isBinary) => {
        if (early) {
          if (early.length < EARLY_FRAMES) early.push([frame, isBinary]);
          return;
        }
        if (conn && conn.transport === transport) handleFrame(this, conn, frame, isBinary);
      },
      onAlive: () => {
        if (conn && conn.transport === transport) conn.lastSeen = this.clock.now();
      },
      onClose: () => {
        gone = true;
        if (conn) this.transportLost(conn, transport);
      },
    };
  }

  /** Authenticates and establishes the connection; on failure sends ERROR, closes, and resolves undefined. */
  private async accept(transport: Transport, params: ConnectParams, gone: () => boolean): Promise<Connection | undefined> {
    try {
      if (params.error) throw params.error;
      const identity = await this.auth.authenticate(params.credentials);
      const moved = await this.claimRemote(params.resumeKey, identity);
      if (moved) {
        // Claimed in the shared state: it is ours now even if the socket already went (grace period starts).
        const conn = this.adoptRemote(moved, transport, identity, params.options, params.resumeKey as string);
        if (gone()) this.transportLost(conn, transport);
        return conn;
      }
      return gone() ? undefined : this.establish(transport, identity, params.options, params.resumeKey);
    } catch (err) {
      const error = ErrorInfo.from(err);
      // The message is the one the client is sent: it names a key at most, never a secret or token.
      this.lifecycle({ phase: 'refused', code: error.code, reason: error.message });
      this.metrics?.connectionsRefused.get(error.code).inc();
      transport.send(params.options.codec.encode({ action: Action.ERROR, error: error.toWire() }));
      transport.close(1000, 'connection refused');
      return undefined;
    }
  }

  private establish(
    transport: Transport,
    identity: Connection['identity'],
    options: Connection['options'],
    resumeKey: string | undefined,
  ): Connection {
    let error: ErrorInfo | undefined;
    if (resumeKey !== undefined) {
      const previous = this.byKey.get(resumeKey);
      if (previous && previous.identity.appId === identity.appId && previous.identity.clientId === identity.clientId) {
        return this.resume(previous, transport, identity, options, resumeKey);
      }
      error = ErrorInfo.of(looksLikeConnectionKey(resumeKey) ? 'connectionExpired' : 'invalidConnectionKey');
      this.metrics?.resumes.failure.inc();
    }
    if (this.config.maxConnectionsPerKey > 0) {
      let count = 0;
      for (const c of this.connections.values()) if (c.identity.keyName === identity.keyName) count++;
      if (count >= this.config.maxConnectionsPerKey) throw ErrorInfo.of('connectionLimit');
    }
    const id = newConnectionId();
    const conn = this.newConnection(id, newConnectionKey(id), identity, options, transport);
    this.connections.set(id, conn);
    this.byKey.set(conn.key, conn);
    this.directory?.connected(recordOf(conn));
    this.metrics?.connectionsOpened.inc();
    this.sendConnected(conn, error);
    this.lifecycle({ phase: 'opened', connectionId: id, clientId: conn.clientId, reason: error?.message, code: error?.code });
    return conn;
  }

  private newConnection(
    id: string,
    key: string,
    identity: Connection['identity'],
    options: Connection['options'],
    transport: Transport,
  ): Connection {
    const { maxInboundRate, maxOutboundBuffer } = this.config;
    return new Connection(id, key, identity, options, transport, maxInboundRate, this.clock, maxOutboundBuffer, this.metrics);
  }

  /**
   * Cluster mode, a resume key this node does not hold: another node may own the connection. Claiming it there
   * (atomically, in the shared directory) cancels its pending leave wherever it was scheduled.
   */
  private async claimRemote(
    resumeKey: string | undefined,
    identity: Connection['identity'],
  ): Promise<ConnectionRecord | undefined> {
    if (!this.directory || resumeKey === undefined || this.byKey.has(resumeKey) || !looksLikeConnectionKey(resumeKey)) {
      return undefined;
    }
    const id = resumeKey.slice(0, resumeKey.indexOf('!'));
    try {
      return await this.directory.claim(resumeKey, newConnectionKey(id), identity.appId, identity.clientId);
    } catch (err) {
      // Shared state unreachable: the client gets a new connection (80008), as when its state expired.
      this.fail(err);
      return undefined;
    }
  }

  /**
   * Cluster mode: shares how far the connection's operations got, so a resume on another node after this one died
   * does not apply retransmits again. Called from the liveness sweep; writes only when the high-water moved.
   */
  /** The connection on this node holding `key` (REST publishes on its behalf, RSL1m); undefined if none. */
  connectionByKey(key: string): Connection | undefined {
    return this.byKey.get(key);
  }

  saveProgress(conn: Connection): void {
    const highWater = conn.serials.highWater;
    if (!this.directory || highWater <= (this.savedSerials.get(conn) ?? -1)) return;
    this.savedSerials.set(conn, highWater);
    this.directory.progressed(conn.id, highWater);
  }

  /** Continues here a connection claimed from another node: same connectionId, msgSerial high-water kept. */
  private adoptRemote(
    record: ConnectionRecord,
    transport: Transport,
    identity: Connection['identity'],
    options: Connection['options'],
    presentedKey: string,
  ): Connection {
    // A copy left from before the connection moved away and back: continue it as a local resume.
    const stale = this.connections.get(record.id);
    if (stale && stale.state !== 'closed') return this.resume(stale, transport, identity, options, presentedKey, record.key);
    const conn = this.newConnection(record.id, record.key, identity, options, transport);
    conn.serials.restore(record.msgSerial);
    this.connections.set(conn.id, conn);
    this.setKeys(conn, presentedKey, record.key);
    this.metrics?.resumes.success.inc();
    this.sendConnected(conn);
    this.lifecycle({ phase: 'resumed', connectionId: conn.id, clientId: conn.clientId, reason: 'moved from another node' });
    return conn;
  }

  /** Continues a known connection on a new transport: same connectionId, members kept, timers cancelled. */
  private resume(
    conn: Connection,
    transport: Transport,
    identity: Connection['identity'],
    options: Connection['options'],
    presentedKey: string,
    newKey = newConnectionKey(conn.id),
  ): Connection {
    const old = conn.transport;
    conn.transport = transport;
    if (old) old.close(1000, 'superseded by a resumed transport');
    this.presence.cancelLeave(conn);
    if (conn.expiryTimer) this.clock.clearTimeout(conn.expiryTimer);
    conn.expiryTimer = undefined;
    conn.identity = identity;
    conn.options = options;
    conn.state = 'connected';
    conn.lastSeen = conn.lastPing = this.clock.now();
    for (const att of conn.attachments.values()) {
      att.state = 'suspended';
      att.pending = [];
    }
    this.setKeys(conn, presentedKey, newKey);
    this.directory?.connected(recordOf(conn));
    this.occupancy.connectionChanged(conn);
    this.metrics?.resumes.success.inc();
    this.sendConnected(conn);
    this.lifecycle({ phase: 'resumed', connectionId: conn.id, clientId: conn.clientId });
    return conn;
  }

  /**
   * After a resume with `presented`: the connection answers to `key` from now on and still to `presented`, whose
   * CONNECTED reply may be lost with the socket (RTN15e rotates the key on each resume); older keys are retired.
   */
  private setKeys(conn: Connection, presented: string, key: string): void {
    for (const k of [conn.key, conn.previousKey]) if (k !== undefined && this.byKey.get(k) === conn) this.byKey.delete(k);
    conn.previousKey = presented;
    conn.key = key;
    this.byKey.set(presented, conn);
    this.byKey.set(key, conn);
  }

  sendConnected(conn: Connection, error?: ErrorInfo): void {
    const c = this.config;
    const message: ProtocolMessage = {
      action: Action.CONNECTED,
      connectionId: conn.id,
      connectionDetails: {
        clientId: conn.clientId,
        connectionKey: conn.key,
        maxMessageSize: c.maxMessageSize,
        maxInboundRate: c.maxInboundRate,
        maxOutboundRate: c.maxOutboundRate,
        maxFrameSize: c.maxFrameSize,
        connectionStateTtl: c.connectionStateTtl,
        maxIdleInterval: conn.options.heartbeatInterval,
        serverId: c.serverId,
        siteCode: c.siteCode,
      },
    };
    if (error) message.error = error.toWire();
    conn.send(message);
  }

  /**
   * The transport went away without CLOSE (socket dropped, DISCONNECT, or declared dead): keep the connection for
   * resume (connectionStateTtl) and its members for remainPresentFor.
   */
  transportLost(conn: Connection, transport: Transport, reason = 'socket closed'): void {
    if (conn.transport !== transport) return;
    conn.transport = undefined;
    if (conn.state !== 'connected') return;
    conn.state = 'disconnected';
    for (const att of conn.attachments.values()) {
      att.state = 'suspended';
      att.pending = [];
    }
    this.occupancy.connectionChanged(conn);
    this.events.emit('transport-lost', conn.id);
    this.lifecycle({ phase: 'disconnected', connectionId: conn.id, clientId: conn.clientId, reason });
    this.metrics?.transportsLost.inc();
    this.directory?.disconnected(conn.id, conn.serials.highWater, this.clock.now() + conn.options.remainPresentFor);
    this.presence.scheduleLeave(conn, (err) => {
      this.fail(err);
      // Some of its members left and the rest must follow (cluster mode: a channel's shard failing over), so it can
      // no longer resume with the members it had: it ends here as the shared state says (no resume, 80008).
      if (err instanceof RemovalCutShort) this.dispose(conn, 'presence removal cut short', 'expired').catch(this.fail);
    });
    conn.expiryTimer = this.clock.setTimeout(() => {
      this.dispose(conn, 'connection state expired', 'expired').catch(this.fail);
    }, this.config.connectionStateTtl);
  }

  /** CLOSE: members leave now and the state is gone (no resume). */
  async close(conn: Connection): Promise<void> {
    conn.send({ action: Action.CLOSED });
    const transport = conn.transport;
    await this.dispose(conn, 'client sent CLOSE', 'closed');
    transport?.close(1000, 'closed');
  }

  /**
   * Frees everything a connection holds: members (leaving now), attachments, timers, registry entries. `reason`
   * is logged; `kind` is what `rollcall_connections_closed_total` counts it under.
   */
  async dispose(conn: Connection, reason = 'closed', kind: CloseReason = 'closed'): Promise<void> {
    if (conn.state === 'closed') return;
    conn.state = 'closed';
    this.lifecycle({ phase: 'closed', connectionId: conn.id, clientId: conn.clientId, reason });
    this.metrics?.connectionsClosed.get(kind).inc();
    conn.transport = undefined;
    this.presence.cancelLeave(conn);
    if (conn.expiryTimer) this.clock.clearTimeout(conn.expiryTimer);
    conn.expiryTimer = undefined;
    this.connections.delete(conn.id);
    for (const k of [conn.key, conn.previousKey]) if (k !== undefined && this.byKey.get(k) === conn) this.byKey.delete(k);
    for (const att of [...conn.attachments.values()]) this.removeAttachment(att);
    await this.presence.removeConnection(conn.id);
    await this.presence.store.forgetConnection(conn.id);
    // After the members: the shared state is what lets the removal find their channels.
    this.directory?.forget(conn.id);
    this.events.emit('disposed', conn.id);
  }

  removeAttachment(att: Attachment): void {
    att.connection.attachments.delete(att.name);
    this.occupancy.unlisten(att);
    this.occupancy.touch(att.channel);
    if (this.channels.remove(att)) this.broker.unsubscribe(att.channel).catch(this.fail);
  }

  private lifecycle(event: ConnectionLifecycle): void {
    this.events.emit('connection', event);
  }

  /** Graceful shutdown: every client is told to reconnect (DISCONNECTED), then sockets close. */
  shutdown(): void {
    this.clock.clearInterval(this.livenessTimer);
    this.batcher.flushAll();
    this.occupancy.close();
    const error = ErrorInfo.of('disconnected', 'server shutting down').toWire();
    for (const conn of this.connections.values()) {
      const t = conn.transport;
      conn.send({ action: Action.DISCONNECTED, error });
      t?.close(1001, 'server shutting down');
    }
  }
}

/** The part of a connection other nodes need to resume it. */
function recordOf(conn: Connection): ConnectionRecord {
  return {
    id: conn.id,
    key: conn.key,
    previousKey: conn.previousKey,
    appId: conn.identity.appId,
    clientId: conn.clientId,
    remainPresentFor: conn.options.remainPresentFor,
    msgSerial: conn.serials.highWater,
  };
}
