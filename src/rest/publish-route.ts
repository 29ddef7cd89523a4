import { mayActAs } from '../auth/identity.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Action, jsonCodec, type Message, messageSize, msgpackCodec } from '../protocol/index.ts';
import type { ChannelRequest } from './channel-routes.ts';
import { readBody } from './read-body.ts';

/** Recently published client-supplied message ids, so a retried idempotent REST publish is applied once. */
const recentIds = new Map<string, { serials: string[] }>();
const REMEMBERED_IDS = 10_000;

/**
 * Publishes a REST body (one message or an array) as one event. Client-supplied ids make it idempotent: a repeat
 * of the same id returns the first publish's serials without publishing again.
 */
export async function publishOverRest(r: ChannelRequest): Promise<{ channel: string; messageId?: string; serials: string[] }> {
  const body = await readBody(r.req, r.node.config.maxFrameSize);
  const raw = Array.isArray(body) ? body : [body];
  // Reuse the realtime codec's validation so REST and realtime accept exactly the same messages.
  const codec = (r.req.headers['content-type'] ?? '').includes('msgpack') ? msgpackCodec : jsonCodec;
  const decoded =
    codec === jsonCodec
      ? codec.decode(Buffer.from(JSON.stringify({ action: Action.MESSAGE, messages: raw })), false)
      : msgpackCodec.decode(
          Buffer.from(msgpackCodec.encode({ action: Action.MESSAGE, messages: raw as Message[] }) as Buffer),
          true,
        );
  const messages = decoded.messages ?? [];
  if (messages.length === 0) throw ErrorInfo.of('invalidRequestBody', 'no messages');
  const ownClientId = r.identity.clientId && r.identity.clientId !== '*' ? r.identity.clientId : undefined;
  for (const m of messages) {
    if (m.clientId !== undefined && (m.clientId === '*' || !mayActAs(r.identity, m.clientId)))
      throw ErrorInfo.of('invalidClientId');
    if (messageSize(m) > r.node.config.maxMessageSize) throw ErrorInfo.of('messageTooLarge');
    if (m.clientId === undefined && ownClientId) m.clientId = ownClientId;
    for (const k of Object.keys(m) as Array<keyof Message>) if (m[k] === undefined) delete m[k];
  }
  const idempotencyKey = messages[0]?.id ? `${r.key}\n${messages.map((m) => m.id).join('\n')}` : undefined;
  const previous = idempotencyKey ? recentIds.get(idempotencyKey) : undefined;
  const messageId = messages[0]?.id?.replace(/:\d+$/, '');
  if (previous) return { channel: r.name, messageId, serials: previous.serials };
  const timestamp = r.node.clock.now();
  const event = await r.node.broker.publish(r.key, {
    action: Action.MESSAGE,
    channel: r.name,
    id: messageId ?? `rest-${timestamp}-${Math.floor(Math.random() * 1e9)}`,
    timestamp,
    messages,
  });
  await r.node.history.append('messages', event);
  const serials = messages.map((_, i) => `${event.serial}:${i}`);
  if (idempotencyKey) {
    recentIds.set(idempotencyKey, { serials });
    if (recentIds.size > REMEMBERED_IDS) recentIds.delete(recentIds.keys().next().value as string);
  }
  return { channel: r.name, messageId, serials };
}
