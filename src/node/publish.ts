import { allows } from '../auth/capability.ts';
import { type Identity, mayActAs } from '../auth/identity.ts';
import { channelKey, validateChannelName } from '../channel/channel-name.ts';
import type { Connection } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Action, Flag, type Message, messageSize, type ProtocolMessage } from '../protocol/index.ts';
// The dedupe window is the REST one, reused as is so both paths keep the same promise (two minutes).
import { PublishDedupe } from '../rest/publish-dedupe.ts';
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
 * set of rules for realtime and REST publishes.
 */
export function prepareMessages(node: Node, identity: Identity, items: Message[]): Message[] {
  const ownClientId = identity.clientId && identity.clientId !== '*' ? identity.clientId : undefined;
  return items.map((item) => {
    checkItemClientId(identity, item.clientId, node.config.maxClientIdLength);
    if (messageSize(item) > node.config.maxMessageSize) {
      throw ErrorInfo.of('messageTooLarge', `message exceeds ${node.config.maxMessageSize} bytes`);
    }
    // Undefined fields are skipped by both codecs; deleting them would only make the object slower and larger.
    // A connectionKey is a secret of its connection: it is used (REST) or ignored (realtime), never passed on.
    return { ...item, clientId: item.clientId ?? ownClientId, connectionKey: undefined };
  });
}

/** Publishes one MESSAGE event (numbered by the broker) and keeps it in history; resolves with each item's serial. */
export async function publishEvent(node: Node, key: string, message: ProtocolMessage, origin?: string): Promise<string[]> {
  const event = await node.broker.publish(key, message, origin);
  if (!event.duplicate) await node.history.append('messages', event);
  return (message.messages ?? []).map((_, i) => `${event.serial}:${i}`);
}

/**
 * MESSAGE from a client: validated, stamped (id `C:N:i`, connectionId, timestamp, clientId), numbered by the
 * broker, delivered and kept in history. Attachment is not required (SDKs flush queued publishes before
 * re-attaching, Ably §1.8). Resolves with the serials for the ACK's `res`.
 */
export async function publish(node: Node, conn: Connection, message: ProtocolMessage): Promise<{ serials: string[] }> {
  const name = validateChannelName(message.channel, node.config.maxChannelNameLength);
  if (!allows(conn.identity.capability, name, 'publish')) throw ErrorInfo.of('capabilityDenied', `publish on ${name}`);
  const att = conn.attachments.get(name);
  if (att && !(att.modes & Flag.PUBLISH)) throw ErrorInfo.of('modeNotGranted', 'attached without PUBLISH mode');
  const stamped = prepareMessages(node, conn.identity, message.messages ?? []);
  if (stamped.length === 0) return { serials: [] };
  const key = channelKey(conn.identity.appId, name);
  const run = async () => ({
    serials: await publishEvent(
      node,
      key,
      {
        action: Action.MESSAGE,
        channel: name,
        id: `${conn.id}:${message.msgSerial ?? 0}`,
        connectionId: conn.id,
        timestamp: node.clock.now(),
        messages: stamped,
      },
      conn.id,
    ),
  });
  // Client-supplied ids make a publish idempotent (Ably RSL1k / RTL6): the same ids on the same channel within the
  // window are published once, however many connections or attempts send them (ably-js idempotentRealtimePublishing).
  const ids = stamped.map((m) => m.id);
  if (!ids.every((id) => id !== undefined)) return run();
  let dedupe = realtimeDedupes.get(node);
  if (!dedupe) realtimeDedupes.set(node, (dedupe = new PublishDedupe(node.clock)));
  return dedupe.once(`${key}\n${ids.join('\n')}`, run);
}

/** Recent realtime publishes with client-supplied ids, per node (single node only, like REST's). */
const realtimeDedupes = new WeakMap<Node, PublishDedupe<{ serials: string[] }>>();
