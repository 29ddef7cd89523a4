import type { Attachment } from '../connection/connection.ts';
import { Action, Flag } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';

/**
 * Sends one channel event to one attachment if its rules allow: MESSAGE needs SUBSCRIBE and respects echo=false;
 * PRESENCE needs PRESENCE_SUBSCRIBE but always reaches the connection that caused it (RTP17a). While the
 * attachment is still attaching, events wait (the SDK drops traffic that precedes ATTACHED). No event is sent twice.
 */
export function deliverTo(att: Attachment, event: ChannelEvent): void {
  const conn = att.connection;
  if (!conn.transport || att.state === 'suspended') return;
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
  conn.sendShared(event.message);
}
