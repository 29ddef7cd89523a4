import { randomBytes } from 'node:crypto';
import { parseApiKey } from '../auth/api-key.ts';
import { parseCapability } from '../auth/capability.ts';
import { type Config, DEFAULT_CONFIG, LOG_LEVELS } from './config.ts';
import { parseRedisTarget } from './redis-target.ts';
import { validateWebhooks } from './webhooks.ts';

/** Fills defaults and checks every value and the relations between them. Throws an Error naming the bad setting. */
export function resolveConfig(partial: Partial<Config> = {}): Config {
  const config: Config = {
    ...DEFAULT_CONFIG,
    serverId: `rollcall-${randomBytes(4).toString('hex')}`,
    keys: [],
    ...stripUndefined(partial),
  };
  validateConfig(config);
  return config;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validateConfig(c: Config): void {
  const positive: Array<keyof Config> = [
    'maxMessageSize',
    'maxFrameSize',
    'maxInboundRate',
    'connectionStateTtl',
    'heartbeatInterval',
    'minHeartbeatInterval',
    'maxHeartbeatInterval',
    'minRemainPresentFor',
    'maxRemainPresentFor',
    'maxMembersPerChannel',
    'syncPageSize',
    'presenceReadPageSize',
    'presenceBatchMaxItems',
    'occupancyEventInterval',
    'maxChannelsPerConnection',
    'maxChannelNameLength',
    'maxClientIdLength',
    'historyMaxAge',
    'historyMaxPerChannel',
    'maxRewindMessages',
    'httpKeepAliveTimeout',
    'historyMaxOperationsPerChannel',
    'maxSummaryClientIds',
    'tokenRequestWindow',
    'defaultTokenTtl',
    'maxTokenTtl',
    'nonceMemorySize',
    'maxOutboundBuffer',
    'cometPollTimeout',
    'nodeHeartbeatInterval',
    'nodeDownTimeout',
    'memberTtl',
    'dashboardPushInterval',
    'webhookBatchWindow',
    'webhookBatchMaxItems',
    'webhookBackoffBase',
    'webhookBackoffMax',
    'webhookRetryHorizon',
    'webhookQueueLimit',
    'webhookRequestTimeout',
    'webhookLeaseTtl',
  ];
  for (const name of positive) {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`config: ${name} must be a positive number`);
  }
  for (const name of ['presenceBatchWindow', 'presenceBatchMinSubscribers', 'syncCacheMembers'] as const) {
    if (!Number.isFinite(c[name]) || c[name] < 0) throw new Error(`config: ${name} must be zero or more`);
  }
  for (const name of [
    'heartbeatMargin',
    'remainPresentFor',
    'maxConnectionsPerKey',
    'shutdownDrainTime',
    'tokenRenewLead',
    'revocationReauthMargin',
  ] as const) {
    if (!Number.isFinite(c[name]) || c[name] < 0) throw new Error(`config: ${name} must be zero or more`);
  }
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) throw new Error('config: port must be 0..65535');
  if (c.minHeartbeatInterval > c.maxHeartbeatInterval)
    throw new Error('config: minHeartbeatInterval exceeds maxHeartbeatInterval');
  if (c.minRemainPresentFor > c.maxRemainPresentFor) throw new Error('config: minRemainPresentFor exceeds maxRemainPresentFor');
  if (c.maxMessageSize > c.maxFrameSize) throw new Error('config: maxMessageSize must not exceed maxFrameSize');
  // A connection must outlive its members' grace period, or a resume could find members whose connection is gone.
  if (c.connectionStateTtl < c.remainPresentFor) {
    throw new Error('config: connectionStateTtl must be at least remainPresentFor');
  }
  if (c.defaultTokenTtl > c.maxTokenTtl) throw new Error('config: defaultTokenTtl exceeds maxTokenTtl');
  // One late heartbeat must not get a live node reaped (Phoenix's down_period rule).
  if (c.nodeDownTimeout < 2 * c.nodeHeartbeatInterval) {
    throw new Error('config: nodeDownTimeout must be at least 2 × nodeHeartbeatInterval');
  }
  // Owners refresh entries every memberTtl / 3; the backstop must not fire before survivors reap a dead node.
  // Refreshed every memberTtl / 3, an entry has at least 2/3 of it left when its node dies; that must outlast the
  // reap (nodeDownTimeout plus a late heartbeat pass), or it could expire before the reaper holds it for its grace.
  if (c.memberTtl < 1.5 * (c.nodeDownTimeout + 2 * c.nodeHeartbeatInterval)) {
    throw new Error('config: memberTtl must be at least 1.5 × (nodeDownTimeout + 2 × nodeHeartbeatInterval)');
  }
  if (c.redisUrl !== undefined) parseRedisTarget(c.redisUrl);
  if (!(LOG_LEVELS as readonly string[]).includes(c.logLevel)) {
    throw new Error(`config: logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${c.logLevel}"`);
  }
  // Half a TLS setup would silently serve plain HTTP to clients that expect HTTPS.
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) throw new Error('config: tlsCert and tlsKey go together');
  for (const name of ['tlsCert', 'tlsKey'] as const) {
    const v = c[name];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new Error(`config: ${name} must be a file path`);
  }
  if (typeof c.dashboard !== 'boolean') throw new Error('config: dashboard must be true or false');
  // A short shared secret would be guessable from the login form; 16 characters is the floor.
  if (c.dashboardToken !== undefined && (typeof c.dashboardToken !== 'string' || c.dashboardToken.length < 16)) {
    throw new Error('config: dashboardToken must be a string of at least 16 characters');
  }
  if (typeof c.metrics !== 'boolean') throw new Error('config: metrics must be true or false');
  // A short or oddly spelled token would be guessable or impossible to send in an Authorization header.
  if (c.metricsToken !== undefined && !/^[\x21-\x7e]{16,}$/.test(c.metricsToken)) {
    throw new Error('config: metricsToken must be at least 16 printable characters without spaces');
  }
  const names = new Set<string>();
  for (const k of c.keys) {
    const parsed = parseApiKey(k.key);
    if (!parsed) throw new Error(`config: malformed key (expected APPID.KEYID:SECRET) for ${k.key.split(':')[0]}`);
    if (k.capability !== undefined && !parseCapability(k.capability)) {
      throw new Error(`config: capability of key ${parsed.name} must map resources to arrays of operations`);
    }
    if (names.has(parsed.name)) throw new Error(`config: duplicate key ${parsed.name}`);
    names.add(parsed.name);
  }
  if (c.webhookBackoffBase > c.webhookBackoffMax) throw new Error('config: webhookBackoffBase exceeds webhookBackoffMax');
  // A lease shorter than one request would hand a webhook to a second node while the first is still sending.
  if (c.webhookLeaseTtl <= c.webhookRequestTimeout) throw new Error('config: webhookLeaseTtl must exceed webhookRequestTimeout');
  if (typeof c.clientTransitions !== 'boolean') throw new Error('config: clientTransitions must be true or false');
  validateWebhooks(c.webhooks, c.keys);
}
