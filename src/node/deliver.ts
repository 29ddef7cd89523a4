import type { DerivedChannel } from '../channel/derived.ts';
import type { Attachment } from '../connection/connection.ts';
import { applyOperation } from '../messages/fold.ts';
import { Action, Flag, type Message, MessageAction, type ProtocolMessage } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import { parseMessageSerial } from '../store/serial.ts';

/**
 * Sends one channel event to one attachment if its rules allow: MESSAGE needs SUBSCRIBE and respects echo=false;
 * ANNOTATION needs ANNOTATION_SUBSCRIBE (raw annotations are only for those who asked) and respects echo=false;
 * PRESENCE needs PRESENCE_SUBSCRIBE but always reaches the connection that caused it (RTP17a). While the
 * attachment is still attaching, events wait (the SDK drops traffic that precedes ATTACHED). No event is sent twice.
 */
export function deliverTo(att: Attachment, event: ChannelEvent): void {
  const conn = att.connection;
  if (!conn.transport || att.state === 'suspended') return;
  // A derived channel carries its base channel's messages only (no presence).
  if (att.derived && event.message.action !== Action.MESSAGE) return;
  const action = event.message.action;
  if (action === Action.MESSAGE || action === Action.ANNOTATION) {
    if (!(att.modes & (action === Action.MESSAGE ? Flag.SUBSCRIBE : Flag.ANNOTATION_SUBSCRIBE))) return;
    if (!conn.options.echo && event.origin === conn.id) return;
  } else if (!(att.modes & Flag.PRESENCE_SUBSCRIBE) && event.origin !== conn.id) return;
  if (att.state === 'attaching') {
    att.pending.push(event);
    return;
  }
  if (att.held) {
    att.held.push(event);
    return;
  }
  if (event.seq <= att.lastSeq) return;
  const op = event.message.action === Action.MESSAGE ? operationIn(event) : undefined;
  if (op && !admitOperation(att, event, op)) return;
  att.lastSeq = event.seq;
  if (att.derived) {
    const filtered = derivedMessage(att.derived, att.name, event.message);
    if (filtered) conn.send(filtered);
    return;
  }
  sendMessage(att, event.message);
}

/** Sends a channel event, as deltas when the attachment asked for them (messages only; presence stays whole). */
function sendMessage(att: Attachment, message: ProtocolMessage): void {
  att.connection.sendShared(att.delta && message.action === Action.MESSAGE ? att.delta.next(message) : message);
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

/** The operation an event carries (operations are published one per event), if it is one. */
function operationIn(event: ChannelEvent): (Message & { serial: string }) | undefined {
  const item = event.message.messages?.[0];
  if (!item || item.serial === undefined || event.message.messages?.length !== 1) return undefined;
  // The operation's own event: its version is this event (a rewound message shows a later version of an older event).
  if (!item.version?.serial?.startsWith(`${event.serial}:`)) return undefined;
  const a = item.action;
  return a === MessageAction.UPDATE || a === MessageAction.DELETE || a === MessageAction.APPEND
    ? (item as Message & { serial: string })
    : undefined;
}

/**
 * Whether an operation event goes out as it is. A message created after the client's view began was seen whole
 * by the client, so every operation on it goes out as is. For an older one, the client may lack the text so far:
 * the first append it gets is completed instead (AI Transport relies on this: a client that attaches mid-stream
 * receives the text so far as an update, then the appends that follow). Versions the client already has (from
 * a completed append or a rewind) are not sent again.
 */
function admitOperation(att: Attachment, event: ChannelEvent, op: Message & { serial: string }): boolean {
  const created = parseMessageSerial(op.serial);
  const current = parseMessageSerial(`${event.serial}:0`);
  const before = !created || !current || created.epoch !== current.epoch || created.seq <= att.viewSeq;
  if (!before) return true;
  const has = att.known.get(op.serial);
  if (has !== undefined && event.seq <= has) {
    att.lastSeq = event.seq;
    return false;
  }
  if (has === undefined && op.action === MessageAction.APPEND && att.latestOf) {
    complete(att, event, op, att.latestOf);
    return false;
  }
  att.known.set(op.serial, event.seq);
  return true;
}

/**
 * Sends a first-seen append as an update carrying the text so far, holding the attachment's later events until
 * it is out. If the store already holds later appends, they are in the text and are skipped when they arrive; if
 * it does not yet hold this one, its piece is added here.
 */
function complete(
  att: Attachment,
  event: ChannelEvent,
  op: Message & { serial: string },
  latestOf: (serial: string) => Promise<Message>,
): void {
  att.held = [];
  latestOf(op.serial)
    .then((latest) => {
      const stored = parseMessageSerial(latest.version?.serial)?.seq ?? 0;
      const whole = stored >= event.seq ? latest : applyOperation(latest, op);
      att.known.set(op.serial, Math.max(stored, event.seq));
      att.lastSeq = Math.max(att.lastSeq, event.seq);
      if (att.connection.transport && att.state === 'attached') {
        sendMessage(att, { ...event.message, channel: att.name, messages: [{ ...whole, action: MessageAction.UPDATE }] });
      }
    })
    .catch(() => {
      // The message is gone (expired) or the store is unreachable: the append goes out as it is.
      att.known.set(op.serial, event.seq);
      att.lastSeq = Math.max(att.lastSeq, event.seq);
      if (att.connection.transport && att.state === 'attached') sendMessage(att, event.message);
    })
    .finally(() => {
      const held = att.held ?? [];
      att.held = undefined;
      for (const e of held) deliverTo(att, e);
    });
}
