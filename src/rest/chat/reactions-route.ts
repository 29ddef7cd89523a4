import { randomBytes } from 'node:crypto';
import { type Annotation, AnnotationAction } from '../../protocol/index.ts';
import { type ChannelRequest, decodeSegment, type RestRequest } from '../context.ts';
import { readBody } from '../read-body.ts';
import { sendBody } from '../respond.ts';
import type { Route } from '../route.ts';
import { parseReactionBody, parseReactionQuery, type ReactionParams } from './chat-body.ts';
import { chatReactions, REACTION_ANNOTATION_TYPES } from './reaction-types.ts';
import { roomRequest } from './room.ts';

/**
 * Message reactions are annotations of the message (`reaction:{unique,distinct,multiple}.v1`), published through
 * the annotation service: it checks them, delivers them raw to ANNOTATION_SUBSCRIBE attachments and sends the
 * message's new summary (`message.summary`), which `@ably/chat` reads as the reaction summary event.
 */

/**
 * POST /chat/v4/rooms/{room}/messages/{serial}/reactions (`room.messages.reactions.send`): `{type, name, count?}`.
 * Needs `annotation-publish` and a clientId (every reaction type counts per client); 40400 for an unknown message.
 */
export async function sendReaction(r: RestRequest, rawRoom: string, rawSerial: string): Promise<void> {
  const c = await roomRequest(r, rawRoom, 'annotation-publish');
  const params = parseReactionBody(await readBody(c.req, c.node.config.maxFrameSize));
  sendBody(c.req, c.res, c.query, 201, await annotate(c, rawSerial, AnnotationAction.CREATE, params));
}

/**
 * DELETE /chat/v4/rooms/{room}/messages/{serial}/reactions?type=&name= (`room.messages.reactions.delete`): takes
 * back the caller's reaction of that name (for `unique`, whichever it is). Needs `annotation-publish`.
 */
export async function deleteReaction(r: RestRequest, rawRoom: string, rawSerial: string): Promise<void> {
  const c = await roomRequest(r, rawRoom, 'annotation-publish');
  const params = parseReactionQuery(c.query);
  sendBody(c.req, c.res, c.query, 200, await annotate(c, rawSerial, AnnotationAction.DELETE, params));
}

async function annotate(c: ChannelRequest, rawSerial: string, action: number, p: ReactionParams): Promise<{ serial: string }> {
  const annotation: Annotation = {
    action,
    messageSerial: decodeSegment(rawSerial),
    type: REACTION_ANNOTATION_TYPES[p.type],
    ...(p.name !== undefined && { name: p.name }),
    ...(p.count !== undefined && { count: p.count }),
  };
  const who = { identity: c.identity, requestId: `chat-${randomBytes(9).toString('base64url')}` };
  return { serial: await c.node.annotations.publish(c.key, c.name, who, annotation) };
}

/**
 * GET /chat/v4/rooms/{room}/messages/{serial}/client-reactions?forClientId= (`reactions.clientReactions`): the
 * message's reactions as one client made them (the caller by default), never clipped, so a client can tell it
 * reacted even when the full summary lists too many clientIds. Needs `history`; 40400 for an unknown message.
 */
export async function getClientReactions(r: RestRequest, rawRoom: string, rawSerial: string): Promise<void> {
  const c = await roomRequest(r, rawRoom, 'history');
  const serial = decodeSegment(rawSerial);
  const own = c.identity.clientId && c.identity.clientId !== '*' ? c.identity.clientId : undefined;
  const clientId = c.query.get('forClientId') ?? own;
  let summary: Record<string, unknown> = {};
  if (clientId !== undefined) summary = await c.node.annotations.clientSummary(c.key, serial, clientId);
  // A caller without a clientId that names none has reacted to nothing; an unknown message is still 40400.
  else await c.node.messages.find(c.key, serial);
  sendBody(c.req, c.res, c.query, 200, chatReactions(summary));
}

export const chatReactionsRoutes: Route[] = [
  {
    path: /^\/chat\/v4\/rooms\/([^/]+)\/messages\/([^/]+)\/reactions$/,
    methods: {
      POST: (r, [room, serial]) => sendReaction(r, room as string, serial as string),
      DELETE: (r, [room, serial]) => deleteReaction(r, room as string, serial as string),
    },
  },
  {
    path: /^\/chat\/v4\/rooms\/([^/]+)\/messages\/([^/]+)\/client-reactions$/,
    methods: { GET: (r, [room, serial]) => getClientReactions(r, room as string, serial as string) },
  },
];
