import type { IncomingMessage } from 'node:http';
import { ErrorInfo } from '../errors/index.ts';
import { unpackMsgpack } from '../protocol/index.ts';

/**
 * Reads and decodes a JSON or msgpack request body, refusing bodies over `maxBytes` (40009). An empty body is
 * 40001, or undefined when `optional` (requests whose body only carries optional details).
 */
export async function readBody(req: IncomingMessage, maxBytes: number, optional = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw ErrorInfo.of('messageTooLarge', `request body exceeds ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  if (body.length === 0 && optional) return undefined;
  if (body.length === 0) throw ErrorInfo.of('invalidRequestBody', 'empty body');
  try {
    if ((req.headers['content-type'] ?? '').includes('application/x-msgpack')) return unpackMsgpack(body);
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw ErrorInfo.of('invalidRequestBody', 'body is not valid JSON or msgpack');
  }
}
