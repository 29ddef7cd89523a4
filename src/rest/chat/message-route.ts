import { randomBytes } from 'node:crypto';
import { ErrorInfo } from '../../errors/index.ts';
import { type Message, MessageAction } from '../../protocol/index.ts';
import { type ChannelRequest, decodeSegment, type RestRequest } from '../context.ts';
import { readBody } from '../read-body.ts';
import { sendBody } from '../respond.ts';
import type { Route } from '../route.ts';
import { parseDeleteBody, parseUpdateBody } from './chat-body.ts';
import { channelMessageOf, isChatMessage, toRestMessage } from './chat-message.ts';
import { roomRequest } from './room.ts';

/**
 * GET /chat/v4/rooms/{room}/messages/{serial} (`room.messages.get`): the message at its latest version; 40400
 * when the room holds no chat message with that serial. Needs `history`.
 */
export async function getMessage(r: RestRequest, rawRoom: string, rawSerial: string): Promise<void> {
  const c = await roomRequest(r, rawRoom, 'history');
  const serial = decodeSegment(rawSerial);
  const message = await c.node.messages.get(c.key, serial);
  if (!isChatMessage(message)) throw ErrorInfo.of('notFound', `no chat message with serial ${serial}`);
  sendBody(c.req, c.res, c.query, 200, toRestMessage(message));
}

/**
 * PUT /chat/v4/rooms/{room}/messages/{serial} (`room.messages.update`): replaces the text, metadata and headers
 * (what is left out becomes empty) as a message update, with the body's `description` and `metadata` recorded in
 * the new version. Needs `message-update-own` (the caller sent the message) or `message-update-any`.
 */
export async function updateMessage(r: RestRequest, rawRoom: string, rawSerial: string): Promise<void> {
  const c = await roomRequest(r, rawRoom, ['message-update-own', 'message-update-any']);
  const { content, details } = parseUpdateBody(await readBody(c.req, c.node.config.maxFrameSize));
  await operate(c, rawSerial, { ...channelMessageOf(content), action: MessageAction.UPDATE, version: details });
}

/**
 * POST /chat/v4/rooms/{room}/messages/{serial}/delete (`room.messages.delete`): a soft delete, as Ably Chat does
 * it: the message stays, as deleted, with its text, metadata and headers emptied (an update restores it).
 * Needs `message-delete-own` or `message-delete-any`.
 */
export async function deleteMessage(r: RestRequest, rawRoom: string, rawSerial: string): Promise<void> {
  const c = await roomRequest(r, rawRoom, ['message-delete-own', 'message-delete-any']);
  const details = parseDeleteBody(await readBody(c.req, c.node.config.maxFrameSize, true));
  // No data: the operation clears it (subscribers get null, which the SDK reads as empty text and metadata).
  await operate(c, rawSerial, { action: MessageAction.DELETE, extras: {}, version: details });
}

/** Applies the operation through the message service (capability, size, versions) and answers the new version. */
async function operate(c: ChannelRequest, rawSerial: string, op: Message): Promise<void> {
  const serial = decodeSegment(rawSerial);
  const who = { identity: c.identity, requestId: `chat-${randomBytes(9).toString('base64url')}` };
  const version = await c.node.messages.operation(c.key, c.name, who, { ...op, serial });
  sendBody(c.req, c.res, c.query, 200, toRestMessage(version));
}

export const chatMessageRoutes: Route[] = [
  {
    path: /^\/chat\/v4\/rooms\/([^/]+)\/messages\/([^/]+)$/,
    methods: {
      GET: (r, [room, serial]) => getMessage(r, room as string, serial as string),
      PUT: (r, [room, serial]) => updateMessage(r, room as string, serial as string),
    },
  },
  {
    path: /^\/chat\/v4\/rooms\/([^/]+)\/messages\/([^/]+)\/delete$/,
    methods: { POST: (r, [room, serial]) => deleteMessage(r, room as string, serial as string) },
  },
];
