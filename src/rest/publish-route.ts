import { randomBytes } from 'node:crypto';
import { ErrorCodes, ErrorInfo } from '../errors/index.ts';
import { isOperation } from '../messages/fold.ts';
import { prepareMessages, publishEvent, publishMixed } from '../node/publish.ts';
import { Action, jsonCodec, type Message, type ProtocolMessage, toProtocolMessage } from '../protocol/index.ts';
import type { ChannelRequest, PublishResult } from './context.ts';
import { readBody } from './read-body.ts';

/**
 * Validates a REST body (one message or an array) with the realtime rules, so REST and realtime accept exactly the
 * same messages. JSON bodies go through the JSON codec, which turns base64 payloads back into bytes.
 */
export function decodeMessages(body: unknown, msgpack: boolean): Message[] {
  const raw = Array.isArray(body) ? body : [body];
  let decoded: ProtocolMessage;
  try {
    decoded = msgpack
      ? toProtocolMessage({ action: Action.MESSAGE, messages: raw })
      : jsonCodec.decode(Buffer.from(JSON.stringify({ action: Action.MESSAGE, messages: raw })), false);
  } catch (err) {
    // The codec speaks realtime (80013); over HTTP a malformed body is 40001.
    const e = ErrorInfo.from(err);
    throw e.code === ErrorCodes.protocolError.code ? ErrorInfo.of('invalidRequestBody', e.message) : e;
  }
  const messages = decoded.messages ?? [];
  if (messages.length === 0) throw ErrorInfo.of('invalidRequestBody', 'no messages');
  return messages;
}

/**
 * Messages that name a `connectionKey` are published on behalf of that realtime connection (Ably RSL1m): they carry
 * its connectionId. The connection must be on this node and of the same app, else 40003.
 */
function onBehalfOf(r: ChannelRequest, messages: Message[]): Message[] {
  return messages.map((m) => {
    if (m.connectionKey === undefined) return m;
    const conn = r.node.connectionByKey(m.connectionKey);
    if (!conn || conn.identity.appId !== r.identity.appId) {
      throw ErrorInfo.of('invalidParameter', 'connectionKey does not name a live connection of this app');
    }
    return { ...m, connectionId: conn.id };
  });
}

/**
 * Publishes a REST body as one channel event. When every message carries a client-supplied id (the SDK's
 * `idempotentRestPublishing`), a repeat of the same ids returns the first publish's serials and publishes nothing.
 */
export async function publishOverRest(r: ChannelRequest): Promise<PublishResult> {
  const body = await readBody(r.req, r.node.config.maxFrameSize);
  return publishDecoded(r, decodeMessages(body, (r.req.headers['content-type'] ?? '').includes('msgpack')));
}

/** Publishes already decoded messages on the request's channel (one channel of a batch, or the channel route). */
export async function publishDecoded(r: ChannelRequest, decoded: Message[]): Promise<PublishResult> {
  const messages = prepareMessages(r.node, r.identity, onBehalfOf(r, decoded));
  const ids = messages.map((m) => m.id);
  // The SDK's ids are `<base>:<index>`; Ably reports the base as messageId.
  const messageId = ids[0]?.replace(/:\d+$/, '');
  const publish = async (): Promise<PublishResult> => {
    // Without client ids the event's own id is the messageId (batch results report one per channel).
    const id = messageId ?? `rest-${randomBytes(9).toString('base64url')}`;
    const envelope = {
      action: Action.MESSAGE,
      channel: r.name,
      id,
      timestamp: r.node.clock.now(),
      messages,
    };
    // Operations posted as messages (action update/delete/append with a serial) are applied as such, each its own event.
    const serials = messages.some((m) => isOperation(m.action))
      ? await publishMixed(r.node, r.key, envelope, { identity: r.identity, requestId: id }, messages)
      : await publishEvent(r.node, r.key, envelope);
    return { channel: r.name, messageId: id, serials };
  };
  if (!ids.every((id) => id !== undefined)) return publish();
  return r.node.publishes.once(`rest\n${r.key}\n${ids.join('\n')}`, publish);
}
