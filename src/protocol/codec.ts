import { ErrorInfo } from '../errors/index.ts';
import { packMsgpack, unpackMsgpack } from './msgpack.ts';
import type { Data, ProtocolMessage } from './types.ts';
import { toProtocolMessage } from './validate.ts';

export type Format = 'json' | 'msgpack';

/** Wire format of one connection: JSON text frames or msgpack binary frames (Ably §1.3). */
export interface Codec {
  readonly format: Format;
  /** Decodes and validates one inbound frame. Throws ErrorInfo on anything malformed. */
  decode(frame: Buffer, isBinary: boolean): ProtocolMessage;
  /** Encodes one outbound ProtocolMessage. */
  encode(message: ProtocolMessage): Buffer | string;
}

const BASE64 = 'base64';

/** Removes a trailing `base64` step: JSON carries binary as base64, which we hold as raw bytes. */
function fromJsonData(
  data: Data | undefined,
  encoding: string | undefined,
): { data: Data | undefined; encoding: string | undefined } {
  if (typeof data !== 'string' || !encoding) return { data, encoding };
  if (encoding === BASE64) return { data: Buffer.from(data, 'base64'), encoding: undefined };
  if (encoding.endsWith(`/${BASE64}`))
    return { data: Buffer.from(data, 'base64'), encoding: encoding.slice(0, -BASE64.length - 1) };
  return { data, encoding };
}

/** Adds the `base64` step for binary payloads, since JSON cannot carry bytes (realtime frames and REST bodies alike). */
export function toJsonData<T extends { data?: Data; encoding?: string }>(item: T): T {
  if (!Buffer.isBuffer(item.data)) return item;
  return { ...item, data: item.data.toString('base64'), encoding: item.encoding ? `${item.encoding}/${BASE64}` : BASE64 };
}

function canonicalise(message: ProtocolMessage): ProtocolMessage {
  for (const item of message.messages ?? []) Object.assign(item, fromJsonData(item.data, item.encoding));
  for (const item of message.presence ?? []) Object.assign(item, fromJsonData(item.data, item.encoding));
  for (const item of message.annotations ?? []) Object.assign(item, fromJsonData(item.data, item.encoding));
  return message;
}

/** A JSON body's items with base64 payloads turned back into bytes (REST annotation bodies). */
export function fromJsonItems<T extends { data?: Data; encoding?: string }>(items: T[]): T[] {
  for (const item of items) Object.assign(item, fromJsonData(item.data, item.encoding));
  return items;
}

/** JSON: one ProtocolMessage per text frame; binary payloads as base64. */
export const jsonCodec: Codec = {
  format: 'json',
  decode(frame) {
    let value: unknown;
    try {
      value = JSON.parse(frame.toString('utf8'));
    } catch {
      throw ErrorInfo.of('protocolError', 'malformed JSON');
    }
    return canonicalise(toProtocolMessage(value));
  },
  encode(message) {
    const wire =
      message.messages || message.presence || message.annotations
        ? {
            ...message,
            messages: message.messages?.map(toJsonData),
            presence: message.presence?.map(toJsonData),
            annotations: message.annotations?.map(toJsonData),
          }
        : message;
    return JSON.stringify(wire);
  },
};

/** msgpack: one ProtocolMessage per binary frame; binary payloads as msgpack bin. */
export const msgpackCodec: Codec = {
  format: 'msgpack',
  decode(frame) {
    let value: unknown;
    try {
      value = unpackMsgpack(frame);
    } catch {
      throw ErrorInfo.of('protocolError', 'malformed msgpack');
    }
    return toProtocolMessage(value);
  },
  encode(message) {
    return packMsgpack(message);
  },
};

/** The codec for a `format` query parameter; msgpack is the SDK's default in Node. */
export function codecFor(format: string | undefined): Codec | undefined {
  if (format === undefined || format === 'msgpack') return msgpackCodec;
  if (format === 'json') return jsonCodec;
  return undefined;
}
