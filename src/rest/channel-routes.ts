import type { PresenceMember } from '../presence/member.ts';
import { PresenceAction } from '../protocol/index.ts';
import type { ChannelRequest } from './context.ts';
import { CURSOR_PARAM, linkHeader, parseHistoryQuery, parseLimit } from './history-params.ts';
import { publishOverRest } from './publish-route.ts';
import { sendBody } from './respond.ts';
import { itemsForFormat } from './wire-items.ts';

/**
 * GET /channels/{name}/presence (RestPresence.get): current members as PRESENT, optionally only one `clientId`
 * and/or `connectionId`, in the order they entered (`limit` 1..1000, default 100). The `page` cursor comes from
 * the store (PresenceStore.page): following Link rel=next visits each member that stays present exactly once,
 * however many enter or leave meanwhile, so a 100k-member channel can be read whole while it changes.
 */
export async function getPresence(r: ChannelRequest): Promise<void> {
  const limit = parseLimit(r.query);
  const clientId = r.query.get('clientId');
  const connectionId = r.query.get('connectionId');
  const accept =
    clientId || connectionId
      ? (m: PresenceMember) => (!clientId || m.clientId === clientId) && (!connectionId || m.connectionId === connectionId)
      : undefined;
  const { members, next } = await r.node.presence.store.page(r.key, r.query.get(CURSOR_PARAM) ?? undefined, limit, accept);
  const page = members.map((m) => ({ ...m, action: PresenceAction.PRESENT }));
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
