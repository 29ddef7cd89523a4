import type { DerivedChannel } from '../channel/derived.ts';
import type { Attachment } from '../connection/connection.ts';
import { Action, Flag, type ProtocolMessage } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';

/**
 * Sends one channel event to one attachment if its rules allow: MESSAGE needs SUBSCRIBE and respects echo=false;
 * PRESENCE needs PRESENCE_SUBSCRIBE but always reaches the connection that caused it (RTP17a). While the
 * attachment is still attaching, events wait (the SDK drops traffic that precedes ATTACHED). No event is sent twice.
 */
export function deliverTo(att: Attachment, event: ChannelEvent): void {
  const conn = att.connection;
  if (!conn.transport || att.state === 'suspended') return;
  // A derived channel carries its base channel's messages only (no presence).
  if (att.derived && event.message.action !== Action.MESSAGE) return;
  if (event.message.action === Action.MESSAGE) {
    if (!(att.modes & Flag.SUBSCRIBE)) return;
    if (!conn.options.echo && event.origin === conn.id) return;
  } else if (!(att.modes & Flag.PRESENCE_SUBSCRIBE) && event.origin !== conn.id) return;
  if (att.state === 'attaching') {
    att.pending.push(event);
    return;
  }
  if (event.seq <= att.lastSeq) return;
  att.lastSeq = event.seq;
  if (att.derived) {
    const filtered = derivedMessage(att.derived, att.name, event.message);
    if (filtered) conn.send(filtered);
    return;
  }
  conn.sendShared(event.message);
}

/**
 * The messages of a base-channel event that pass a derived channel's filter, addressed to the derived channel
 * (the SDK routes by `channel`). Item ids are made explicit first: the SDK derives missing ones from their index,
 * which filtering changes. Undefined when none pass.
 */
function derivedMessage(derived: DerivedChannel, name: string, message: ProtocolMessage): ProtocolMessage | undefined {
  const messages = (message.messages ?? [])
    .map((m, i) => ({ ...m, id: m.id ?? `${message.id}:${i}` }))
    .filter((m) => derived.accepts(m));
  return messages.length === 0 ? undefined : { ...message, channel: name, messages };
}
