import { ErrorInfo } from '../errors/index.ts';
import type { Annotation, Data, Message, MessageVersion, PresenceMessage, ProtocolMessage } from './types.ts';

/** Upper bound on items in one ProtocolMessage; anything larger is refused before any work is done on it. */
export const MAX_ITEMS_PER_MESSAGE = 1000;

type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array);
const fail = (detail: string): never => {
  throw ErrorInfo.of('protocolError', detail);
};

function optString(o: Raw, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(`${key} must be a string`);
  return v as string;
}

function optInt(o: Raw, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${key} must be a non-negative integer`);
  return v as number;
}

/** Deepest nesting accepted in `extras`; deeper values would overflow the stack when sized or re-encoded. */
export const MAX_EXTRAS_DEPTH = 32;

/** Nesting depth of a decoded value, walked iteratively so the check itself cannot overflow. */
function depthWithin(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null || Buffer.isBuffer(v) || v instanceof Uint8Array) continue;
    if (depth > max) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

function optExtras(o: Raw): Record<string, unknown> | undefined {
  const v = o.extras;
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) fail('extras must be an object');
  if (!depthWithin(v, MAX_EXTRAS_DEPTH)) fail(`extras nested deeper than ${MAX_EXTRAS_DEPTH}`);
  return v as Record<string, unknown>;
}

/** Payloads are strings or bytes; JSON-encoded objects arrive as strings with `encoding: "json"`. */
function optData(o: Raw): Data | undefined {
  const v = o.data;
  if (v === undefined) return undefined;
  if (v === null || typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw ErrorInfo.of('invalidMessageData', 'data must be a string, binary or null');
}

function itemList(o: Raw, key: string): Raw[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) return fail(`${key} must be an array`);
  if (v.length > MAX_ITEMS_PER_MESSAGE) fail(`too many ${key} in one protocol message`);
  return v.map((item) => (isObject(item) ? item : fail(`${key} items must be objects`)));
}

/** `version` of a message operation: what the operation says about itself (Ably MessageOperation). */
function optVersion(o: Raw): MessageVersion | undefined {
  const v = o.version;
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return fail('version must be an object');
  const metadata = v.metadata;
  if (metadata !== undefined && metadata !== null) {
    if (!isObject(metadata) || !Object.values(metadata).every((x) => typeof x === 'string'))
      fail('version.metadata must map strings to strings');
  }
  return {
    clientId: optString(v, 'clientId'),
    description: optString(v, 'description'),
    metadata: (metadata ?? undefined) as Record<string, string> | undefined,
  };
}

function message(o: Raw): Message {
  return {
    serial: optString(o, 'serial'),
    version: optVersion(o),
    id: optString(o, 'id'),
    name: optString(o, 'name'),
    data: optData(o),
    encoding: optString(o, 'encoding'),
    clientId: optString(o, 'clientId'),
    extras: optExtras(o),
    action: optInt(o, 'action'),
    connectionKey: optString(o, 'connectionKey'),
  };
}

function presence(o: Raw): PresenceMessage {
  const action = optInt(o, 'action');
  if (action === undefined) fail('presence action is required');
  return {
    id: optString(o, 'id'),
    action: action as number,
    clientId: optString(o, 'clientId'),
    data: optData(o),
    encoding: optString(o, 'encoding'),
    extras: optExtras(o),
  };
}

/** An annotation as a client may send it; the serial, connectionId and timestamp are the server's to assign. */
function annotation(o: Raw): Annotation {
  return {
    id: optString(o, 'id'),
    action: optInt(o, 'action'),
    messageSerial: optString(o, 'messageSerial'),
    type: optString(o, 'type'),
    name: optString(o, 'name'),
    count: optInt(o, 'count'),
    data: optData(o),
    encoding: optString(o, 'encoding'),
    clientId: optString(o, 'clientId'),
    extras: optExtras(o),
  };
}

/** Annotations of a REST body (`POST .../annotations`, one object or an array), checked like realtime's. */
export function toAnnotations(value: unknown): Annotation[] {
  const raw = Array.isArray(value) ? value : [value];
  return itemList({ annotations: raw }, 'annotations')?.map(annotation) ?? [];
}

function params(o: Raw): Record<string, string> | undefined {
  const v = o.params;
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return fail('params must be an object');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    // Scalars only: String() of a nested array recurses and could overflow the stack.
    if (typeof val === 'object' && val !== null) fail('params values must be strings');
    out[k] = String(val);
  }
  return out;
}

/**
 * Checks a decoded frame against the ProtocolMessage shape and copies out only the fields a client may send,
 * so unknown fields (such as the SDK's stray `size`) never travel further. Throws ErrorInfo 80013 or 40013.
 */
export function toProtocolMessage(value: unknown): ProtocolMessage {
  if (!isObject(value)) return fail('a protocol message must be an object');
  const action = optInt(value, 'action');
  if (action === undefined) return fail('action is required');
  const auth = value.auth;
  let accessToken: string | undefined;
  if (auth !== undefined && auth !== null) {
    if (!isObject(auth)) fail('auth must be an object');
    accessToken = optString(auth as Raw, 'accessToken');
  }
  return {
    action,
    flags: optInt(value, 'flags'),
    id: optString(value, 'id'),
    channel: optString(value, 'channel'),
    channelSerial: optString(value, 'channelSerial'),
    msgSerial: optInt(value, 'msgSerial'),
    messages: itemList(value, 'messages')?.map(message),
    presence: itemList(value, 'presence')?.map(presence),
    annotations: itemList(value, 'annotations')?.map(annotation),
    params: params(value),
    auth: accessToken === undefined ? undefined : { accessToken },
  };
}
