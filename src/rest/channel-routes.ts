import { ErrorInfo } from '../errors/index.ts';
import { PresenceAction } from '../protocol/index.ts';
import type { ChannelRequest } from './context.ts';
import { CURSOR_PARAM, linkHeader, parseHistoryQuery, parseLimit } from './history-params.ts';
import { publishOverRest } from './publish-route.ts';
import { sendBody } from './respond.ts';
import { itemsForFormat } from './wire-items.ts';

/** The offset cursor of `GET …/presence`: a non-negative integer, else 40003. */
function offsetCursor(query: URLSearchParams): number {
  const raw = query.get(CURSOR_PARAM);
  if (raw === null) return 0;
  const offset = Number(raw);
  if (!Number.isSafeInteger(offset) || offset < 0) throw ErrorInfo.of('invalidParameter', `${CURSOR_PARAM} is not a cursor`);
  return offset;
}

/**
 * GET /channels/{name}/presence (RestPresence.get): current members as PRESENT, optionally only one `clientId`
 * and/or `connectionId`, oldest first, paged by offset (`limit` 1..1000, default 100).
 */
export async function getPresence(r: ChannelRequest): Promise<void> {
  const limit = parseLimit(r.query);
  const offset = offsetCursor(r.query);
  const clientId = r.query.get('clientId');
  const connectionId = r.query.get('connectionId');
  const members = (await r.node.presence.store.members(r.key))
    .filter((m) => (!clientId || m.clientId === clientId) && (!connectionId || m.connectionId === connectionId))
    .sort((a, b) => a.timestamp - b.timestamp || a.id.localeCompare(b.id));
  const page = members.slice(offset, offset + limit).map((m) => ({ ...m, action: PresenceAction.PRESENT }));
  const next = offset + limit < members.length ? String(offset + limit) : undefined;
  sendBody(r.req, r.res, r.query, 200, itemsForFormat(r, page), linkHeader('presence', r.query, next));
}

/** GET /channels/{name}/presence/history: ENTER/UPDATE/LEAVE events as stored, synthesized leaves included. */
export async function getPresenceHistory(r: ChannelRequest): Promise<void> {
  const page = await r.node.history.presence(r.key, parseHistoryQuery(r.query));
  sendBody(r.req, r.res, r.query, 200, itemsForFormat(r, page.items), linkHeader('history', r.query, page.next));
}

/** GET /channels/{name}/messages: message history (start, end, direction, limit, from_serial). */
export async function getMessages(r: ChannelRequest): Promise<void> {
  const page = await r.node.messages.history(r.key, parseHistoryQuery(r.query));
  sendBody(r.req, r.res, r.query, 200, itemsForFormat(r, page.items), linkHeader('messages', r.query, page.next));
}

/** POST /channels/{name}/messages: 201 with `{channel, messageId, serials}`; the SDK needs a body. */
export async function postMessages(r: ChannelRequest): Promise<void> {
  sendBody(r.req, r.res, r.query, 201, await publishOverRest(r));
}
