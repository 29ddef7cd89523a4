import { allows } from '../auth/capability.ts';
import { type Identity, mayActAs } from '../auth/identity.ts';
import { channelKey, validateChannelName } from '../channel/channel-name.ts';
import type { Connection } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import { isOperation } from '../messages/fold.ts';
import type { Operator } from '../messages/message-service.ts';
import { Action, Flag, type Message, MessageAction, messageSize, type ProtocolMessage } from '../protocol/index.ts';
import { isEphemeral } from '../store/history-store.ts';
import { messageSerial } from '../store/serial.ts';
import type { Node } from './node.ts';

/** Checks an item's clientId against the caller's identity (Ably §5): 40012 when it may not act as it. */
export function checkItemClientId(identity: Identity, clientId: string | undefined, maxLength: number): void {
  if (clientId === undefined) return;
  if (clientId === '*' || clientId.length === 0 || clientId.length > maxLength) {
    throw ErrorInfo.of('invalidClientId', `clientId "${clientId.slice(0, 64)}" is not allowed`);
  }
  if (!mayActAs(identity, clientId)) {
    throw ErrorInfo.of('invalidClientId', `${identity.clientId ?? 'anonymous'} may not act as ${clientId.slice(0, 64)}`);
  }
}

/**
 * Checks messages against the publisher's identity and the size limit and fills in its clientId (RSA7a1). The one
 * set of rules for realtime and REST publishes. A create's `serial` and `version` are the server's to assign;
 * operations (update, delete, append) keep theirs (the serial names the message they change).
 */
export function prepareMessages(node: Node, identity: Identity, items: Message[]): Message[] {
  const ownClientId = identity.clientId && identity.clientId !== '*' ? identity.clientId : undefined;
  return items.map((item) => {
    if (item.action !== undefined && item.action !== MessageAction.CREATE && !isOperation(item.action)) {
      throw ErrorInfo.of('invalidParameter', `message action ${item.action} cannot be published`);
    }
    if (messageSize(item) > node.config.maxMessageSize) {
      throw ErrorInfo.of('messageTooLarge', `message exceeds ${node.config.maxMessageSize} bytes`);
    }
    if (isOperation(item.action)) return { ...item, connectionKey: undefined };
    checkItemClientId(identity, item.clientId, node.config.maxClientIdLength);
    // Undefined fields are skipped by both codecs; deleting them would only make the object slower and larger.
    // A connectionKey is a secret of its connection: it is used (REST) or ignored (realtime), never passed on.
    return { ...item, serial: undefined, version: undefined, clientId: item.clientId ?? ownClientId, connectionKey: undefined };
  });
}

/**
 * Publishes one MESSAGE event (numbered by the broker), kept in history in the same atomic step unless every item is
 * ephemeral; resolves with each item's serial. One step, so a publish that was delivered is in history even when
 * this node dies before answering and the client's retransmission elsewhere is answered as a duplicate (issue 16).
 */
export async function publishEvent(node: Node, key: string, message: ProtocolMessage, origin?: string): Promise<string[]> {
  const items = message.messages ?? [];
  const lasting = items.length === 0 || !items.every(isEphemeral);
  const event = await node.broker.publish(key, message, origin, lasting ? { history: 'messages' } : undefined);
  return items.map((_, i) => messageSerial(event.serial, i));
}

/**
 * Publishes items of which some are operations on existing messages: each item in order as its own event (an
 * operation's event is its version), creates as one-message events. Resolves with the serial of each create and
 * the version serial of each operation.
 */
export async function publishMixed(
  node: Node,
  key: string,
  envelope: ProtocolMessage,
  who: Operator,
  items: Message[],
): Promise<string[]> {
  const serials: string[] = [];
  for (const [i, item] of items.entries()) {
    // One event per item: with several, each gets an id of its own (the broker treats a repeated id as a retransmission).
    const eventId = items.length > 1 ? `${envelope.id}:${i}` : (envelope.id as string);
    if (isOperation(item.action)) {
      serials.push(await node.messages.operate(key, envelope.channel as string, { ...who, requestId: eventId }, item));
    } else {
      const id = item.id ?? `${envelope.id}:${i}`;
      const event = { ...envelope, id: eventId, messages: [{ ...item, id }] };
      serials.push(...(await publishEvent(node, key, event, who.connectionId)));
    }
  }
  return serials;
}

/**
 * MESSAGE from a client: validated, stamped (id `C:N:i`, connectionId, timestamp, clientId), numbered by the
 * broker, delivered and kept in history. Attachment is not required (SDKs flush queued publishes before
 * re-attaching, Ably §1.8). Resolves with the serials for the ACK's `res`.
 */
export async function publish(node: Node, conn: Connection, message: ProtocolMessage): Promise<{ serials: string[] }> {
  const name = validateChannelName(message.channel, node.config.maxChannelNameLength);
  const stamped = prepareMessages(node, conn.identity, message.messages ?? []);
  const operations = stamped.filter((m) => isOperation(m.action)).length;
  // Operations are authorised by the message-update/delete capabilities (MessageService), creates by publish.
  if (operations < stamped.length && !allows(conn.identity.capability, name, 'publish')) {
    throw ErrorInfo.of('capabilityDenied', `publish on ${name}`);
  }
  const att = conn.attachments.get(name);
  if (att && !(att.modes & Flag.PUBLISH)) throw ErrorInfo.of('modeNotGranted', 'attached without PUBLISH mode');
  if (stamped.length === 0) return { serials: [] };
  const key = channelKey(conn.identity.appId, name);
  const envelope: ProtocolMessage = {
    action: Action.MESSAGE,
    channel: name,
    id: `${conn.id}:${message.msgSerial ?? 0}`,
    connectionId: conn.id,
    timestamp: node.clock.now(),
    messages: stamped,
  };
  if (operations > 0) {
    const who = { identity: conn.identity, connectionId: conn.id, requestId: envelope.id as string };
    return { serials: await publishMixed(node, key, envelope, who, stamped) };
  }
  const run = async () => ({ serials: await publishEvent(node, key, envelope, conn.id) });
  // Client-supplied ids make a publish idempotent (Ably RSL1k / RTL6): the same ids on the same channel within the
  // window are published once, however many connections or attempts send them (ably-js idempotentRealtimePublishing).
  const ids = stamped.map((m) => m.id);
  if (!ids.every((id) => id !== undefined)) return run();
  // Keyed apart from REST's: the two answer with results of different shapes.
  return node.publishes.once(`realtime\n${key}\n${ids.join('\n')}`, run);
}
