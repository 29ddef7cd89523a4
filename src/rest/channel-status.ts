import { allows } from '../auth/capability.ts';
import { ErrorInfo } from '../errors/index.ts';
import type { Node } from '../node/node.ts';
import type { ChannelMetrics } from '../occupancy/metrics.ts';
import { type AuthedRequest, authed, type ChannelRequest, channelRequest, type RestRequest } from './context.ts';
import { CURSOR_PARAM, linkHeader, parseLimit } from './history-params.ts';
import { sendBody } from './respond.ts';

/** Ably's ChannelDetails, as `channel.status()` and `GET /channels` return it. */
export interface ChannelDetails {
  channelId: string;
  name: string;
  status: { isActive: boolean; occupancy: { metrics: ChannelMetrics } };
}

/**
 * Occupancy of one channel across the cluster (src/occupancy/occupancy-service.ts): attachments of live connections
 * (a connection waiting to resume is not counted until it is back) and the presence set, which does include members
 * within their remainPresentFor. Other nodes' attachments are seen within one occupancyEventInterval.
 */
async function channelDetails(node: Node, key: string, name: string): Promise<ChannelDetails> {
  const metrics = await node.occupancy.metrics(key);
  const isActive = metrics.connections > 0 || metrics.presenceMembers > 0;
  return { channelId: name, name, status: { isActive, occupancy: { metrics } } };
}

/** GET /channels/{name} (`channel.status()`); needs `channel-metadata`. A channel nobody uses is inactive, not 404. */
export async function getChannelStatus(r: RestRequest, rawName: string): Promise<void> {
  const c: ChannelRequest = await channelRequest(r, rawName, 'channel-metadata');
  sendBody(c.req, c.res, c.query, 200, await channelDetails(c.node, c.key, c.name));
}

function grantsMetadataAnywhere(r: AuthedRequest): boolean {
  return Object.values(r.identity.capability).some((ops) => ops.includes('*') || ops.includes('channel-metadata'));
}

/**
 * GET /channels: this app's active channels across the cluster that the capability grants `channel-metadata` on, in name order, optionally
 * only names starting with `prefix`. `by=id` lists names; `by=value` (default) lists ChannelDetails. Paged by the
 * last name returned, so channels appearing or vanishing between pages do not shift the rest.
 */
export async function listChannels(req: RestRequest): Promise<void> {
  const r = await authed(req);
  if (!grantsMetadataAnywhere(r)) throw ErrorInfo.of('capabilityDenied', 'channel-metadata is not granted on any channel');
  const by = r.query.get('by') ?? 'value';
  if (by !== 'value' && by !== 'id') throw ErrorInfo.of('invalidParameter', 'by must be value or id');
  const limit = parseLimit(r.query);
  const prefix = r.query.get('prefix') ?? '';
  const after = r.query.get(CURSOR_PARAM);
  const appPrefix = `${r.identity.appId}:`;
  const names: string[] = [];
  // This node's channels (live, even before its counts are written) and every node's channels with attachments.
  const keys = new Set([...r.node.channels.channels(), ...(await r.node.occupancy.activeChannels())]);
  for (const key of keys) {
    if (!key.startsWith(appPrefix)) continue;
    const name = key.slice(appPrefix.length);
    if (!name.startsWith(prefix) || (after !== null && name <= after)) continue;
    if (allows(r.identity.capability, name, 'channel-metadata')) names.push(name);
  }
  names.sort();
  const page = names.slice(0, limit);
  const next = names.length > limit ? page[page.length - 1] : undefined;
  const body = by === 'id' ? page : await Promise.all(page.map((name) => channelDetails(r.node, `${appPrefix}${name}`, name)));
  sendBody(r.req, r.res, r.query, 200, body, linkHeader('channels', r.query, next));
}
