import { ErrorInfo } from '../errors/index.ts';
import { type Data, type Message, MessageAction } from '../protocol/index.ts';
import type { DataType, MessageChange, MessageHead } from './message-store.ts';

/** The fields a message operation may set on the message it changes; the rest stay as created. */
const REPLACEABLE = ['name', 'data', 'encoding', 'extras'] as const;

export const isOperation = (action: number | undefined): boolean =>
  action === MessageAction.UPDATE || action === MessageAction.DELETE || action === MessageAction.APPEND;

export function dataTypeOf(data: Data | undefined): DataType {
  if (data === undefined || data === null) return 'none';
  return typeof data === 'string' ? 'string' : 'binary';
}

/** Splits a full message into its head (everything but data) and the data's type. */
export function headOf(message: Message): MessageHead {
  const { data, ...rest } = message;
  return { message: rest, dataType: dataTypeOf(data) };
}

/** A stored head with its data put back, as its type says. */
export function withData(head: MessageHead, raw: Buffer | string | null | undefined): Message {
  if (head.dataType === 'none') return { ...head.message };
  const data = head.dataType === 'string' ? (Buffer.isBuffer(raw) ? raw.toString('utf8') : (raw ?? '')) : Buffer.from(raw ?? '');
  return { ...head.message, data };
}

/**
 * Checks that `piece` can be appended to data of type `type` (Ably appends strings to strings and bytes to bytes;
 * encoded data such as JSON cannot be concatenated): 40030 otherwise.
 */
export function checkAppendable(head: MessageHead, piece: Message): void {
  const pieceType = dataTypeOf(piece.data);
  const encoded = (e: string | undefined) => e !== undefined && e !== '' && e !== 'utf-8';
  if (encoded(head.message.encoding) || encoded(piece.encoding)) {
    throw ErrorInfo.of('invalidPublish', 'only unencoded string or binary data can be appended to');
  }
  if (pieceType !== 'none' && head.dataType !== 'none' && pieceType !== head.dataType) {
    throw ErrorInfo.of('invalidPublish', `cannot append ${pieceType} data to ${head.dataType} data`);
  }
}

/** Concatenates an appended piece onto data (types checked by {@link checkAppendable}). */
export function concatData(a: Data | undefined, b: Data | undefined): Data | undefined {
  if (b === undefined || b === null) return a;
  if (a === undefined || a === null) return b;
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  return Buffer.concat([Buffer.from(a), Buffer.from(b)]);
}

/**
 * The operation item subscribers receive: the message's identity (serial, id, clientId, connectionId, timestamp
 * as created) with what the operation sets. An append carries only its piece as data; update and delete carry the
 * data that replaces the old. Fields the operation leaves out keep their latest value (Ably keeps the name of an
 * updated message). `version.serial` is stamped by the broker.
 */
export function operationItem(latest: Omit<Message, 'data'>, op: Message, version: Message['version']): Message {
  const item: Message = {
    id: latest.id,
    serial: latest.serial,
    clientId: latest.clientId,
    connectionId: latest.connectionId,
    timestamp: latest.timestamp,
    name: latest.name,
    extras: latest.extras,
    encoding: op.action === MessageAction.APPEND ? latest.encoding : undefined,
    action: op.action,
    version,
  };
  for (const field of REPLACEABLE) if (op[field] !== undefined) (item as Record<string, unknown>)[field] = op[field];
  if (op.action === MessageAction.DELETE && op.data === undefined) item.data = null;
  return item;
}

/**
 * The head after an operation: an append shows as an update (history and late joiners see one message with the
 * text so far, Ably's aggregation), update and delete as themselves.
 */
export function nextHead(head: MessageHead, op: Message): MessageHead {
  const { data, action, ...rest } = op;
  const message = { ...head.message, ...rest };
  message.action = action === MessageAction.APPEND ? MessageAction.UPDATE : action;
  const dataType =
    action === MessageAction.APPEND ? (head.dataType === 'none' ? dataTypeOf(data) : head.dataType) : dataTypeOf(data);
  return { message, dataType };
}

/** `message` with its version's serial set: the broker assigns it when it numbers the operation's event. */
export function withVersionSerial<T extends Omit<Message, 'data'>>(message: T, serial: string): T {
  return { ...message, version: { ...message.version, serial } };
}

/** `change` with its operation's version serial set in the new head and in the operation it keeps. */
export function versionedChange(change: MessageChange, serial: string): MessageChange {
  const next = { ...change.next, message: withVersionSerial(change.next.message, serial) };
  return { ...change, next, op: withVersionSerial(change.op, serial) };
}

/** A message's version after one more operation (versions listing, pure folding). */
export function applyOperation(latest: Message, op: Message): Message {
  const head = nextHead(headOf(latest), op);
  const data = op.action === MessageAction.APPEND ? concatData(latest.data, op.data) : op.data;
  return data === undefined ? head.message : { ...head.message, data };
}
