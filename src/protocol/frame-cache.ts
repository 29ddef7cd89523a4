import type { Codec } from './codec.ts';
import type { ProtocolMessage } from './types.ts';

const cache = new WeakMap<ProtocolMessage, { json?: string | Buffer; msgpack?: string | Buffer }>();

/**
 * Encodes a message at most once per format, however many connections receive it: fan-out cost is then one
 * encode per format plus one socket write per subscriber. The message must not change after its first encode.
 */
export function encodeOnce(codec: Codec, message: ProtocolMessage): string | Buffer {
  let entry = cache.get(message);
  if (!entry) cache.set(message, (entry = {}));
  let frame = entry[codec.format];
  if (frame === undefined) entry[codec.format] = frame = codec.encode(message);
  return frame;
}
