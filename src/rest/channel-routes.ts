import type { IncomingMessage, ServerResponse } from 'node:http';
import { allows, type Operation } from '../auth/capability.ts';
import type { Identity } from '../auth/identity.ts';
import { channelKey, validateChannelName } from '../channel/channel-name.ts';
import { ErrorInfo } from '../errors/index.ts';
import type { Node } from '../node/node.ts';
import { jsonCodec, type Message, type PresenceMessage } from '../protocol/index.ts';
import { linkHeader, parseHistoryQuery } from './history-params.ts';
import { publishOverRest } from './publish-route.ts';
import { sendBody } from './respond.ts';

export interface ChannelRequest {
  node: Node;
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  identity: Identity;
  name: string;
  key: string;
}

export function channelRequest(base: Omit<ChannelRequest, 'name' | 'key'>, rawName: string, op: Operation): ChannelRequest {
  const name = validateChannelName(rawName, base.node.config.maxChannelNameLength);
  if (!allows(base.identity.capability, name, op)) throw ErrorInfo.of('capabilityDenied', `${op} on ${name}`);
  return { ...base, name, key: channelKey(base.identity.appId, name) };
}

/** JSON clients get binary payloads as base64 with the `base64` encoding step, like realtime JSON clients. */
function forFormat<T extends Message | PresenceMessage>(r: ChannelRequest, items: T[]): T[] {
  if ((r.req.headers.accept ?? '').includes('msgpack') || r.query.get('format') === 'msgpack') return items;
  const wire = JSON.parse(jsonCodec.encode({ action: 0, messages: items as Message[] }) as string) as { messages?: T[] };
  return wire.messages ?? [];
}

/** GET /channels/{name}/presence: current members (action PRESENT), filters clientId/connectionId, paged by offset. */
export async function getPresence(r: ChannelRequest): Promise<void> {
  const q = parseHistoryQuery(r.query);
  const clientId = r.query.get('clientId');
  const connectionId = r.query.get('connectionId');
  const members = (await r.node.presence.store.members(r.key))
    .filter((m) => (!clientId || m.clientId === clientId) && (!connectionId || m.connectionId === connectionId))
    .sort((a, b) => a.timestamp - b.timestamp || a.id.localeCompare(b.id));
  const offset = Number(q.cursor ?? 0) || 0;
  const page = members.slice(offset, offset + q.limit).map((m) => ({ action: 1, ...m }));
  const next = offset + q.limit < members.length ? String(offset + q.limit) : undefined;
  sendBody(r.req, r.res, r.query, 200, forFormat(r, page), linkHeader('presence', r.query, next));
}

/** GET /channels/{name}/presence/history */
export async function getPresenceHistory(r: ChannelRequest): Promise<void> {
  const page = await r.node.history.presence(r.key, parseHistoryQuery(r.query));
  sendBody(r.req, r.res, r.query, 200, forFormat(r, page.items), linkHeader('history', r.query, page.next));
}

/** GET /channels/{name}/messages */
export async function getMessages(r: ChannelRequest): Promise<void> {
  const page = await r.node.history.messages(r.key, parseHistoryQuery(r.query));
  sendBody(r.req, r.res, r.query, 200, forFormat(r, page.items), linkHeader('messages', r.query, page.next));
}

/** POST /channels/{name}/messages */
export async function postMessages(r: ChannelRequest): Promise<void> {
  const result = await publishOverRest(r);
  sendBody(r.req, r.res, r.query, 201, result);
}
