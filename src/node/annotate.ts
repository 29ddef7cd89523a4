import { allows } from '../auth/capability.ts';
import { channelKey, validateChannelName } from '../channel/channel-name.ts';
import type { Connection } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Flag, type ProtocolMessage } from '../protocol/index.ts';
import type { Node } from './node.ts';

/**
 * ANNOTATION from a client (`channel.annotations.publish / delete`): each annotation is published by the
 * AnnotationService, which checks it. No `annotation-publish` capability refuses it (40160), and so does an
 * attachment without ANNOTATION_PUBLISH (40165); as with MESSAGE, being attached is not required. Resolves with the annotation serials for the ACK.
 */
export async function annotate(node: Node, conn: Connection, message: ProtocolMessage): Promise<{ serials: string[] }> {
  const name = validateChannelName(message.channel, node.config.maxChannelNameLength);
  // The capability first: without it the mode was never granted, and the capability is what the client lacks.
  if (!allows(conn.identity.capability, name, 'annotation-publish')) {
    throw ErrorInfo.of('capabilityDenied', `annotation-publish on channel ${name}`);
  }
  const att = conn.attachments.get(name);
  if (att && !(att.modes & Flag.ANNOTATION_PUBLISH)) {
    throw ErrorInfo.of('modeNotGranted', 'attached without ANNOTATION_PUBLISH mode');
  }
  const items = message.annotations ?? [];
  const key = channelKey(conn.identity.appId, name);
  const requestId = `${conn.id}:${message.msgSerial ?? 0}`;
  const serials: string[] = [];
  for (const [i, item] of items.entries()) {
    // One event per annotation: with several, each gets an id of its own.
    const who = { identity: conn.identity, connectionId: conn.id, requestId: items.length > 1 ? `${requestId}:${i}` : requestId };
    serials.push(await node.annotations.publish(key, name, who, item));
  }
  return { serials };
}
