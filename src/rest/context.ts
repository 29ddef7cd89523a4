import type { IncomingMessage, ServerResponse } from 'node:http';
import { allows, type Operation } from '../auth/capability.ts';
import type { Identity } from '../auth/identity.ts';
import { channelKey, validateChannelName } from '../channel/channel-name.ts';
import { ErrorInfo } from '../errors/index.ts';
import type { Node } from '../node/node.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { StatsStore } from '../stats/index.ts';
import { authenticateRequest } from './rest-auth.ts';

/** What a REST publish answers (Ably §7): the SDK strips `channel` and `messageId` and returns `{serials}`. */
export interface PublishResult {
  channel: string;
  messageId?: string;
  serials: string[];
}

/** State the REST API keeps per server instance. */
export interface RestState {
  readonly node: Node;
  /** Health for `/health` and `/ready`: unhealthy (503) while a cluster node is cut off from Redis. */
  readonly health: () => Health;
  /** Served at `/metrics`; undefined when metrics are off (404). */
  readonly metrics?: Metrics;
  /** Per-app stats served by `GET /stats`. */
  readonly stats: StatsStore;
}

/** What `/health` and `/ready` report; `detail` names backends (e.g. `{redis: 'down'}`). */
export interface Health {
  up: boolean;
  detail?: Record<string, string>;
}

/** One HTTP request being served. */
export interface RestRequest {
  state: RestState;
  node: Node;
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
}

/** A request whose credentials were checked. */
export interface AuthedRequest extends RestRequest {
  identity: Identity;
}

/** A request on one channel, authorised for one operation. */
export interface ChannelRequest extends AuthedRequest {
  /** Channel name as the client knows it. */
  name: string;
  /** Namespaced channel key (`appId:name`). */
  key: string;
}

/** Checks the request's credentials (401xx when missing or wrong). */
export async function authed(r: RestRequest): Promise<AuthedRequest> {
  return { ...r, identity: await authenticateRequest(r.node, r.req, r.query) };
}

/**
 * Authenticates, then checks the channel name (40010) and that the capability grants `op` on it (40160).
 * `rawName` is the path segment, still percent-encoded as the SDK sends it (`encodeURIComponent`).
 */
export async function channelRequest(r: RestRequest, rawName: string, op: Operation | Operation[]): Promise<ChannelRequest> {
  const a = await authed(r);
  const name = validateChannelName(decodeSegment(rawName), a.node.config.maxChannelNameLength);
  // A list means any one of them will do (message operations: the service then checks the exact one).
  const ops = Array.isArray(op) ? op : [op];
  if (!ops.some((o) => allows(a.identity.capability, name, o))) {
    throw ErrorInfo.of('capabilityDenied', `${ops.join(' or ')} on channel ${name}`);
  }
  return { ...a, name, key: channelKey(a.identity.appId, name) };
}

export function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw ErrorInfo.of('invalidChannelName', 'malformed percent-encoding');
  }
}
