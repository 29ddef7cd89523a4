import { ErrorInfo } from '../errors/index.ts';
import { packMsgpack, unpackMsgpack } from '../protocol/index.ts';

/**
 * A comet response body: the frames the core encoded, one protocol message each, joined into one array without
 * decoding them again. JSON ends with a newline because the SDK's streamed reader only parses complete lines; a
 * non-streamed reader parses the whole body, which the newline does not disturb.
 */
export function joinFrames(frames: ReadonlyArray<Buffer | string>, binary: boolean): Buffer {
  if (!binary) {
    const parts: Buffer[] = [Buffer.from('[')];
    frames.forEach((frame, i) => {
      if (i > 0) parts.push(Buffer.from(','));
      parts.push(typeof frame === 'string' ? Buffer.from(frame) : frame);
    });
    parts.push(Buffer.from(']\n'));
    return Buffer.concat(parts);
  }
  return Buffer.concat([msgpackArrayHeader(frames.length), ...frames.map((f) => (typeof f === 'string' ? Buffer.from(f) : f))]);
}

function msgpackArrayHeader(length: number): Buffer {
  if (length < 16) return Buffer.from([0x90 | length]);
  if (length < 0x10000) {
    const header = Buffer.alloc(3);
    header[0] = 0xdc;
    header.writeUInt16BE(length, 1);
    return header;
  }
  const header = Buffer.alloc(5);
  header[0] = 0xdd;
  header.writeUInt32BE(length, 1);
  return header;
}

/**
 * A `send` body (an array of protocol messages) as the frames the core reads, one message each, so inbound comet
 * traffic takes the same path as WebSocket frames. Anything but a non-empty array of objects is 40000.
 */
export function splitFrames(body: Buffer, binary: boolean): Buffer[] {
  let items: unknown;
  try {
    items = binary ? unpackMsgpack(body) : JSON.parse(body.toString('utf8'));
  } catch {
    throw ErrorInfo.of('badRequest', `send body is not valid ${binary ? 'msgpack' : 'JSON'}`);
  }
  if (
    !Array.isArray(items) ||
    items.length === 0 ||
    !items.every((m) => typeof m === 'object' && m !== null && !Array.isArray(m))
  ) {
    throw ErrorInfo.of('badRequest', 'send body must be a non-empty array of protocol messages');
  }
  return items.map((m) => (binary ? packMsgpack(m) : Buffer.from(JSON.stringify(m))));
}
