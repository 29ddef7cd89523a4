import { allows } from '../auth/capability.ts';
import type { Connection } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import type { PresenceDiff } from '../presence/member.ts';
import { Flag, messageSize, PresenceAction, type PresenceMessage, type ProtocolMessage } from '../protocol/index.ts';
import type { Node } from './node.ts';
import { checkItemClientId } from './publish.ts';

/** The clientId an item acts for: its own, else the connection's. 91000 for anonymous, 40012 for `*` or a stranger. */
function resolveClientId(node: Node, conn: Connection, item: PresenceMessage): string {
  checkItemClientId(conn.identity, item.clientId, node.config.maxClientIdLength);
  const clientId = item.clientId ?? conn.clientId;
  if (clientId === null) throw ErrorInfo.of('presenceNoClientId');
  if (clientId === '*') throw ErrorInfo.of('invalidClientId', 'a wildcard connection must name the clientId (enterClient)');
  return clientId;
}

/**
 * PRESENCE from a client (Ably §4.3): every item is validated before any is applied, then each is applied in order
 * and the resulting changes are broadcast together as one message with ids `C:N:i`. ENTER of a present member is
 * broadcast as UPDATE; a re-entry with the member's current id, or a LEAVE of an absent member, is not broadcast.
 */
export async function presence(node: Node, conn: Connection, message: ProtocolMessage): Promise<{ serials: [] }> {
  const name = message.channel;
  const att = name === undefined ? undefined : conn.attachments.get(name);
  if (!att || name === undefined) throw ErrorInfo.of('presenceNotAttached');
  if (!allows(conn.identity.capability, name, 'presence')) throw ErrorInfo.of('capabilityDenied', `presence on ${name}`);
  if (!(att.modes & Flag.PRESENCE)) throw ErrorInfo.of('modeNotGranted', 'attached without PRESENCE mode');
  const items = message.presence ?? [];
  const clientIds = items.map((item) => {
    if (item.action !== PresenceAction.ENTER && item.action !== PresenceAction.UPDATE && item.action !== PresenceAction.LEAVE) {
      throw ErrorInfo.of('badRequest', `presence action ${item.action} cannot be sent by a client`);
    }
    if (messageSize(item) > node.config.maxMessageSize) {
      throw ErrorInfo.of('messageTooLarge', `presence data exceeds ${node.config.maxMessageSize} bytes`);
    }
    return resolveClientId(node, conn, item);
  });
  const timestamp = node.clock.now();
  const msgSerial = message.msgSerial ?? 0;
  const out: PresenceMessage[] = [];
  for (const [i, item] of items.entries()) {
    const clientId = clientIds[i] as string;
    const id = `${conn.id}:${msgSerial}:${i}`;
    const fields = { data: item.data, encoding: item.encoding, extras: item.extras };
    let diff: PresenceDiff;
    if (item.action === PresenceAction.LEAVE) {
      diff = await node.presence.store.leave(att.channel, clientId, conn.id, { id, timestamp, ...fields });
    } else {
      const member = { id, clientId, connectionId: conn.id, timestamp, ...fields };
      const reentryId = item.action === PresenceAction.ENTER ? item.id : undefined;
      diff = await node.presence.store.upsert(att.channel, member, node.config.maxMembersPerChannel, reentryId);
    }
    out.push(...node.presence.itemsOf(diff));
  }
  if (out.length > 0) {
    await node.presence.broadcast(
      att.channel,
      { id: `${conn.id}:${msgSerial}`, connectionId: conn.id, timestamp, presence: out },
      conn.id,
    );
  }
  return { serials: [] };
}
