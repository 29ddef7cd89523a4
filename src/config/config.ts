/** One API key: `appId.keyId:secret`, with the capability it grants (a JSON capability object). */
export interface KeyConfig {
  /** `appId.keyId:secret` */
  key: string;
  /** Ably capability, e.g. `{"*":["*"]}` (the default). */
  capability?: Record<string, string[]>;
  /** Tokens issued with this key can be revoked (`POST /keys/{keyName}/revokeTokens`). */
  revocableTokens?: boolean;
}

/** Log levels, most severe first; `silent` writes nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Event sources a webhook can carry: Ably's four plus Rollcall's client-level presence transitions. */
export const WEBHOOK_SOURCES = [
  'channel.presence',
  'client.presence',
  'channel.message',
  'channel.lifecycle',
  'channel.occupancy',
] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/** One outbound webhook (an Ably "integration rule" of type HTTP). */
export interface WebhookConfig {
  /** http:// or https:// endpoint receiving POSTs. */
  url: string;
  sources: WebhookSource[];
  /** Regular expression on the channel name (without app id); absent: every channel. */
  channelFilter?: string;
  /** Ably's enveloped format (default true). Without it each request carries one item's `data` and X-Ably-Envelope-* headers. */
  enveloped?: boolean;
  /** Several items per request (default true); false: one item per request. */
  batched?: boolean;
  /**
   * Name of a configured key (`appId.keyId`): requests carry X-Ably-Key and X-Ably-Signature (base64 HMAC-SHA256 of
   * the raw body with that key's secret), and the webhook only sees that key's app.
   */
  signWithKey?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** All of Rollcall's settings. Build one with {@link resolveConfig}; nothing else fills defaults. */
export interface Config {
  port: number;
  host: string;
  keys: KeyConfig[];
  /** Reported as connectionDetails.serverId; unique per process by default. */
  serverId: string;
  siteCode: string;
  /** Largest message (name + data + clientId + extras), bytes. */
  maxMessageSize: number;
  /** Largest inbound frame, bytes. */
  maxFrameSize: number;
  /** Inbound ProtocolMessages per second per connection (token bucket, burst = one second's worth). */
  maxInboundRate: number;
  maxOutboundRate: number;
  /** How long a dropped connection's state is kept for resume, ms. */
  connectionStateTtl: number;
  /** Default heartbeat (and advertised maxIdleInterval) when the client sends no `heartbeatInterval`, ms. */
  heartbeatInterval: number;
  /** Bounds for the `heartbeatInterval` transport param (Ably: 5000..1800000). */
  minHeartbeatInterval: number;
  maxHeartbeatInterval: number;
  /** Silence tolerated beyond heartbeatInterval before a connection is declared dead, ms. */
  heartbeatMargin: number;
  /** Default `remainPresentFor`, ms (Ably: 15000). */
  remainPresentFor: number;
  minRemainPresentFor: number;
  maxRemainPresentFor: number;
  maxMembersPerChannel: number;
  /** Members per SYNC page. */
  syncPageSize: number;
  /**
   * Members read from the store per call when reading a whole set for a SYNC or paging REST presence (Redis: HSCAN
   * COUNT and page script size), and written back per call by a re-assertion: bounds how long one call holds Redis
   * and how long decoding it holds the event loop.
   */
  presenceReadPageSize: number;
  /**
   * Members whose encoded SYNC pages a node keeps, over all channels, to answer late joiners of an unchanged set
   * without reading and encoding it again (least recently used first out). 0 turns the cache off.
   */
  syncCacheMembers: number;
  /**
   * Presence batching on busy channels: PRESENCE events may wait this long (ms) to share one frame per subscriber.
   * 0 turns it off. Only channels with at least `presenceBatchMinSubscribers` local attachments are batched.
   */
  presenceBatchWindow: number;
  /** Most presence items in one batched PRESENCE message. */
  presenceBatchMaxItems: number;
  presenceBatchMinSubscribers: number;
  /**
   * Occupancy events (`occupancy=metrics` channel param): changes on a channel within this window (ms) are merged
   * into one `[meta]occupancy` message, so a busy channel sends at most one per window.
   */
  occupancyEventInterval: number;
  maxChannelsPerConnection: number;
  maxChannelNameLength: number;
  maxClientIdLength: number;
  /** 0 = unlimited. */
  maxConnectionsPerKey: number;
  /** How far a TokenRequest's timestamp may be from the server clock, ms. */
  tokenRequestWindow: number;
  /** Token lifetime when the request names no ttl, ms (Ably: 1 hour). */
  defaultTokenTtl: number;
  /** Longest token lifetime granted, ms (Ably: 24 hours). */
  maxTokenTtl: number;
  /** TokenRequest nonces remembered against replay (oldest forgotten first). */
  nonceMemorySize: number;
  /** How long before a connected client's token expires the server sends AUTH asking for a new one, ms. */
  tokenRenewLead: number;
  /** How long a `revokeTokens` with `allowReauthMargin` waits before it applies, so clients can renew first, ms. */
  revocationReauthMargin: number;
  /** Message and presence history retention per channel. */
  historyMaxAge: number;
  historyMaxPerChannel: number;
  /** Most messages a `rewind=N` attach replays (Ably: 100); larger requests are capped. */
  maxRewindMessages: number;
  /**
   * Message operations (update, delete, append events) kept per channel for resume replay, counted apart from
   * historyMaxPerChannel so a long token stream never pushes messages out of history; also the most operated-on
   * messages remembered per channel (memory backend).
   */
  historyMaxOperationsPerChannel: number;
  /**
   * Most clientIds an annotation summary lists per entry (Ably clips summaries to stay within the message size);
   * beyond it the entry is `clipped` and its totals still count everyone.
   */
  maxSummaryClientIds: number;
  /**
   * Bytes queued for a connection that is not reading before it is dropped (as an abrupt disconnect), so one
   * stalled client cannot hold unbounded memory.
   */
  maxOutboundBuffer: number;
  /**
   * Longest a comet (HTTP long-polling) recv is held with nothing to send before it is answered with an empty
   * array, ms; below common proxy idle timeouts. Held recvs are also answered at each heartbeat.
   */
  cometPollTimeout: number;
  /**
   * How long an idle HTTP keep-alive connection stays open, ms. Longer than clients' own idle timeouts, so a client
   * never reuses a socket the server is closing at that moment ("socket hang up" on a REST call every ~5 s).
   */
  httpKeepAliveTimeout: number;
  /** Time allowed for clients to be told to reconnect elsewhere on SIGTERM, ms. */
  shutdownDrainTime: number;
  /**
   * Cluster mode: where Redis is. `redis://host:port` (one server), `redis+cluster://host:port,host:port` (a Redis
   * Cluster by its seed nodes; in a config file also a list of `redis://host:port`), or
   * `redis+sentinel://host:port,host:port/mastername` (a Sentinel-managed master). See src/config/redis-target.ts.
   * Unset: one node with in-memory backends.
   */
  redisUrl?: string | string[];
  /** Prefix of every Redis key and pub/sub channel, so several deployments (or tests) can share one Redis. */
  redisPrefix: string;
  /** How often a node tells Redis it is alive, ms. */
  nodeHeartbeatInterval: number;
  /** Silence after which a node counts as dead and its members are removed by the survivors, ms. */
  nodeDownTimeout: number;
  /** TTL backstop of presence entries in Redis, refreshed by their owner; ends ghosts if every node dies, ms. */
  memberTtl: number;
  /** Least severe level the CLI's logger writes (connection lifecycle lines are `debug`). */
  logLevel: LogLevel;
  /** PEM certificate (chain) file. With `tlsKey`, the port serves HTTPS and WSS instead of HTTP and WS. */
  tlsCert?: string;
  /** PEM private key file of `tlsCert`. */
  tlsKey?: string;
  /** Serve the live presence dashboard at `/dashboard` (and redirect browsers asking for `/` there). */
  dashboard: boolean;
  /**
   * A shared secret an operator may type into the dashboard's login form instead of an API key. It is exchanged
   * for a read-only Ably token of the first configured key's app. Unset: only API keys log in.
   */
  dashboardToken?: string;
  /** How often the dashboard's server-side feed samples occupancy, grace periods and nodes (sent only on change), ms. */
  dashboardPushInterval: number;
  /** Client-level presence transitions (`client.online` / `client.offline` on `[meta]clients` and webhooks). */
  clientTransitions: boolean;
  /** Outbound webhooks (src/integrations); empty: none. */
  webhooks: WebhookConfig[];
  /** How long a webhook waits for more items before sending a batch, ms. */
  webhookBatchWindow: number;
  /** Most items in one webhook request. */
  webhookBatchMaxItems: number;
  /** First retry delay after a failed webhook request, doubled per failure up to webhookBackoffMax, ms. */
  webhookBackoffBase: number;
  webhookBackoffMax: number;
  /** How long an item is retried before it is dropped (logged), ms. */
  webhookRetryHorizon: number;
  /** Items queued per webhook; beyond it new items are dropped (counted and logged). */
  webhookQueueLimit: number;
  /** A webhook request that has not answered by then counts as failed, ms. */
  webhookRequestTimeout: number;
  /** Cluster mode: how long one node's claim to deliver a webhook lasts without renewal (node death hand-over), ms. */
  webhookLeaseTtl: number;
  /** Serve `GET /metrics` (Prometheus text format); false answers 404 and counts nothing. */
  metrics: boolean;
  /**
   * A bearer token that may read `/metrics` (for a Prometheus scraper), besides the API keys and tokens the REST API
   * accepts. Unset: only those.
   */
  metricsToken?: string;
}

export const DEFAULT_CONFIG: Omit<Config, 'serverId' | 'keys'> = {
  port: 8080,
  host: '0.0.0.0',
  siteCode: 'local',
  maxMessageSize: 65536,
  maxFrameSize: 524288,
  maxInboundRate: 250,
  maxOutboundRate: 100,
  connectionStateTtl: 120_000,
  heartbeatInterval: 15_000,
  minHeartbeatInterval: 5_000,
  maxHeartbeatInterval: 1_800_000,
  heartbeatMargin: 5_000,
  remainPresentFor: 15_000,
  minRemainPresentFor: 1_000,
  maxRemainPresentFor: 3_600_000,
  maxMembersPerChannel: 20_000,
  syncPageSize: 100,
  presenceReadPageSize: 1_000,
  syncCacheMembers: 250_000,
  presenceBatchWindow: 20,
  presenceBatchMaxItems: 500,
  presenceBatchMinSubscribers: 50,
  occupancyEventInterval: 250,
  maxChannelsPerConnection: 1_000,
  maxChannelNameLength: 2_048,
  maxClientIdLength: 256,
  maxConnectionsPerKey: 0,
  tokenRequestWindow: 10 * 60 * 1000,
  defaultTokenTtl: 60 * 60 * 1000,
  maxTokenTtl: 24 * 60 * 60 * 1000,
  nonceMemorySize: 100_000,
  tokenRenewLead: 30_000,
  revocationReauthMargin: 30_000,
  historyMaxAge: 2 * 60 * 60 * 1000,
  historyMaxPerChannel: 1_000,
  maxRewindMessages: 100,
  historyMaxOperationsPerChannel: 10_000,
  maxSummaryClientIds: 100,
  maxOutboundBuffer: 8 * 1024 * 1024,
  cometPollTimeout: 25_000,
  httpKeepAliveTimeout: 65_000,
  shutdownDrainTime: 5_000,
  redisPrefix: 'rollcall:',
  nodeHeartbeatInterval: 2_000,
  nodeDownTimeout: 10_000,
  memberTtl: 60_000,
  logLevel: 'info',
  dashboard: true,
  dashboardPushInterval: 1_000,
  clientTransitions: true,
  webhooks: [],
  webhookBatchWindow: 1_000,
  webhookBatchMaxItems: 100,
  webhookBackoffBase: 1_000,
  webhookBackoffMax: 60_000,
  webhookRetryHorizon: 30 * 60 * 1000,
  webhookQueueLimit: 10_000,
  webhookRequestTimeout: 15_000,
  webhookLeaseTtl: 30_000,
  metrics: true,
};
