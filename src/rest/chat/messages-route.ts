import { ErrorInfo } from '../../errors/index.ts';
import type { Message } from '../../protocol/index.ts';
import type { ChannelRequest, RestRequest } from '../context.ts';
import { linkHeader, parseHistoryQuery } from '../history-params.ts';
import { publishDecoded } from '../publish-route.ts';
import { readBody } from '../read-body.ts';
import { sendBody } from '../respond.ts';
import type { Route } from '../route.ts';
import { parseSendBody } from './chat-body.ts';
import { channelMessageOf, isChatMessage, type RestMessage, toRestMessage } from './chat-message.ts';
import { roomRequest } from './room.ts';

/** Longest `idempotencyKey` accepted; the SDK's are short random ids. */
const MAX_IDEMPOTENCY_KEY = 256;

/**
 * The `idempotencyKey` query param (`@ably/chat` with `idempotentRestPublishing`), made the message's id so the
 * REST publish dedupe recognises a repeated send; undefined when absent, 40003 when empty or too long.
 */
function idempotencyKeyOf(query: URLSearchParams): string | undefined {
  const key = query.get('idempotencyKey');
  if (key === null) return undefined;
  if (key === '' || key.length > MAX_IDEMPOTENCY_KEY) {
    throw ErrorInfo.of('invalidParameter', `idempotencyKey must be 1..${MAX_IDEMPOTENCY_KEY} characters`);
  }
  return key;
}

/**
 * POST /chat/v4/rooms/{room}/messages (`room.messages.send`): publishes `{text, metadata, headers}` on the room
 * channel as a `chat.message` (so the room's subscribers get it as a created message) and answers with the message
 * as created. Needs `publish` on the room channel; the sender is the caller's clientId.
 */
export async function sendMessage(r: RestRequest, rawRoom: string): Promise<void> {
  const c = await roomRequest(r, rawRoom, 'publish');
  const content = parseSendBody(await readBody(c.req, c.node.config.maxFrameSize));
  const idempotencyKey = idempotencyKeyOf(c.query);
  // The timestamp is set here rather than by the publish so the answer can state it without reading the message back.
  const message: Message = { ...channelMessageOf(content), timestamp: c.node.clock.now() };
  if (idempotencyKey !== undefined) message.id = `${idempotencyKey}:0`;
  const [serial] = (await publishDecoded(c, [message])).serials;
  if (serial === undefined) throw ErrorInfo.of('internal', 'the publish returned no serial');
  sendBody(c.req, c.res, c.query, 201, idempotencyKey === undefined ? created(c, message, serial) : await stored(c, serial));
}

/** The message just published, as created. */
function created(c: ChannelRequest, message: Message, serial: string): RestMessage {
  const clientId = c.identity.clientId && c.identity.clientId !== '*' ? c.identity.clientId : undefined;
  return toRestMessage({ ...message, serial, clientId });
}

/** The message as stored: a repeated idempotent send answers with the message the first one made. */
async function stored(c: ChannelRequest, serial: string): Promise<RestMessage> {
  return toRestMessage(await c.node.messages.get(c.key, serial));
}

/**
 * GET /chat/v4/rooms/{room}/messages (`room.messages.history`, `historyBeforeSubscribe`): chat messages at their
 * latest version, newest first unless `direction=forwards`, with `start`, `end`, `limit` and `fromSerial` (the
 * attach point: nothing published after it) as channel history reads them; paged by the Link header. Other
 * traffic on the room channel is left out, so a page may hold fewer than `limit` messages. Needs `history`.
 */
export async function getHistory(r: RestRequest, rawRoom: string): Promise<void> {
  const c = await roomRequest(r, rawRoom, 'history');
  const page = await c.node.messages.history(c.key, parseHistoryQuery(c.query));
  const items = page.items.filter(isChatMessage).map(toRestMessage);
  sendBody(c.req, c.res, c.query, 200, items, linkHeader('messages', c.query, page.next));
}

export const chatMessagesRoutes: Route[] = [
  {
    path: /^\/chat\/v4\/rooms\/([^/]+)\/messages$/,
    methods: {
      GET: (r, [room]) => getHistory(r, room as string),
      POST: (r, [room]) => sendMessage(r, room as string),
    },
  },
];
