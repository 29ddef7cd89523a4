import { type Message, MessageAction, type ProtocolMessage } from '../protocol/index.ts';
import { encodeVcdiff } from './vcdiff.ts';

/** The delta format Rollcall sends (channel param `delta=vcdiff`, Ably PC3 / RTL18). */
export const DELTA_FORMAT = 'vcdiff';

/** The message a client decodes the next delta against: its id and its payload bytes. */
interface DeltaBase {
  id: string;
  payload: Buffer;
}

/**
 * The bytes the SDK keeps as the base for a following delta: the payload as published, less the base64 that JSON
 * adds for binary (which the server never holds). Undefined for a payload that cannot be a delta base or target.
 */
function payloadOf(m: Message): Buffer | undefined {
  // Text still in base64 (a msgpack client that encoded it itself): the SDK keeps the decoded bytes, which we do
  // not hold, so such a message is neither a base nor a delta.
  if (m.encoding?.split('/').at(-1) === 'base64') return undefined;
  if (Buffer.isBuffer(m.data)) return m.data;
  if (typeof m.data === 'string') return Buffer.from(m.data, 'utf8');
  return undefined;
}

/** Only new messages become deltas; an operation (update, delete, append) goes out whole. */
const isCreate = (m: Message): boolean => m.action === undefined || m.action === MessageAction.CREATE;

/**
 * One message as a delta against `base` (Ably TM2i `extras.delta`): the payload becomes the VCDIFF of its bytes
 * against the base's, and the encoding gains `vcdiff` (after `utf-8` when the payload was text, so the SDK turns the
 * decoded bytes back into the string it was). Undefined when a delta would not be smaller than the payload.
 */
function asDelta(m: Message & { id: string }, payload: Buffer, base: DeltaBase): Message | undefined {
  const delta = encodeVcdiff(base.payload, payload);
  if (delta.length >= payload.length) return undefined;
  const steps = [m.encoding, typeof m.data === 'string' ? 'utf-8' : undefined, DELTA_FORMAT].filter(Boolean);
  return {
    ...m,
    data: delta,
    encoding: steps.join('/'),
    extras: { ...m.extras, delta: { from: base.id, format: DELTA_FORMAT } },
  };
}

interface Made {
  base?: DeltaBase;
  message: ProtocolMessage;
  last?: DeltaBase;
}

/**
 * The delta forms made for the event being fanned out, by base, so subscribers at the same point share one message
 * (and so one encoded frame). One event at a time: a fan-out hands an event to every attachment in turn, and
 * holding nothing past it keeps events that history retains from keeping their delta forms alive.
 */
let fanout: { event: ProtocolMessage; byBase: Map<string, Made> } | undefined;

/**
 * What one attachment with `delta=vcdiff` has been sent: each MESSAGE it gets is rewritten so that every message
 * whose predecessor the client holds is a delta against it. The first message after an attach is whole (a
 * re-attach, which is how the SDK recovers from a failed decode, RTL18, starts again from whole), and so is
 * anything that cannot be a delta. Item ids are made explicit: `extras.delta.from` names them.
 */
export class DeltaStream {
  private base: DeltaBase | undefined;

  /** The MESSAGE to send in place of `message` (the same object when nothing changes), and what it leaves as base. */
  next(message: ProtocolMessage): ProtocolMessage {
    const items = message.messages ?? [];
    if (items.length === 0) return message;
    const start = this.base;
    const key = start ? `from:${start.id}` : 'whole';
    if (fanout?.event !== message) fanout = { event: message, byBase: new Map() };
    const cached = fanout.byBase.get(key);
    // Ids are the publisher's to choose: the same id with other bytes is another base.
    if (cached && (start === undefined || cached.base?.payload.equals(start.payload))) {
      this.base = cached.last;
      return cached.message;
    }
    let base = start;
    const rewritten = items.map((item, i) => {
      const m = { ...item, id: item.id ?? `${message.id}:${i}` };
      const payload = payloadOf(m);
      const out =
        base && payload && payload.length > 0 && base.payload.length > 0 && isCreate(m) ? asDelta(m, payload, base) : undefined;
      base = payload ? { id: m.id, payload } : undefined;
      return out ?? m;
    });
    const result = { ...message, messages: rewritten };
    fanout.byBase.set(key, { base: start, message: result, last: base });
    this.base = base;
    return result;
  }
}
