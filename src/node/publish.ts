import { allows } from '../auth/capability.ts';
import { mayActAs } from '../auth/identity.ts';
import { channelKey, validateChannelName } from '../channel/channel-name.ts';
import type { Connection } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Action, Flag, type Message, messageSize, type ProtocolMessage } from '../protocol/index.ts';
import type { Node } from './node.ts';

/** Checks an item's clientId against the connection's identity (Ably §5): 40012 when it may not act as it. */
export function checkItemClientId(conn: Connection, clientId: string | undefined, maxLength: number): void {
  if (clientId === undefined) return;
  if (clientId === '*' || clientId.length === 0 || clientId.length > maxLength) {
    throw ErrorInfo.of('invalidClientId', `clientId "${clientId.slice(0, 64)}" is not allowed`);
  }
  if (!mayActAs(conn.identity, clientId)) {
    throw ErrorInfo.of('invalidClientId', `connection as ${conn.clientId ?? 'anonymous'} may not act as ${clientId}`);
  }
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
  const items = message.messages ?? [];
  const ownClientId = conn.clientId && conn.clientId !== '*' ? conn.clientId : undefined;
  const stamped: Message[] = items.map((item) => {
    checkItemClientId(conn, item.clientId, node.config.maxClientIdLength);
    if (messageSize(item) > node.config.maxMessageSize) {
      throw ErrorInfo.of('messageTooLarge', `message exceeds ${node.config.maxMessageSize} bytes`);
    }
    // Undefined fields are skipped by both codecs; deleting them would only make the object slower and larger.
    return { ...item, clientId: item.clientId ?? ownClientId };
  });
  if (stamped.length === 0) return { serials: [] };
  const key = channelKey(conn.identity.appId, name);
  const event = await node.broker.publish(
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
  );
  await node.history.append('messages', event);
  return { serials: stamped.map((_, i) => `${event.serial}:${i}`) };
}
