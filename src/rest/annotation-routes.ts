import { randomBytes } from 'node:crypto';
import { ErrorCodes, ErrorInfo } from '../errors/index.ts';
import { type Annotation, fromJsonItems, toAnnotations } from '../protocol/index.ts';
import { type ChannelRequest, decodeSegment } from './context.ts';
import { CURSOR_PARAM, linkHeader, parseLimit } from './history-params.ts';
import { readBody } from './read-body.ts';
import { sendBody } from './respond.ts';
import { itemsForFormat } from './wire-items.ts';

/** Checks a REST body of annotations (one object or an array) with the realtime rules; 40001 when malformed. */
function decodeAnnotations(body: unknown, msgpack: boolean): Annotation[] {
  let items: Annotation[];
  try {
    items = toAnnotations(body);
  } catch (err) {
    const e = ErrorInfo.from(err);
    throw e.code === ErrorCodes.protocolError.code ? ErrorInfo.of('invalidRequestBody', e.message) : e;
  }
  if (items.length === 0) throw ErrorInfo.of('invalidRequestBody', 'no annotations');
  return msgpack ? items : fromJsonItems(items);
}

/**
 * POST /channels/{name}/messages/{serial}/annotations (RestAnnotations.publish / delete, RSAN1): publishes each
 * annotation of the body on the message the path names. Answers 201 with the annotations' serials.
 */
export async function postAnnotations(r: ChannelRequest, rawSerial: string): Promise<void> {
  const messageSerial = decodeSegment(rawSerial);
  const body = await readBody(r.req, r.node.config.maxFrameSize);
  const items = decodeAnnotations(body, (r.req.headers['content-type'] ?? '').includes('msgpack'));
  const requestId = `rest-${randomBytes(9).toString('base64url')}`;
  const serials: string[] = [];
  for (const [i, item] of items.entries()) {
    if (item.messageSerial !== undefined && item.messageSerial !== messageSerial) {
      throw ErrorInfo.of('invalidRequestBody', 'messageSerial does not match the path');
    }
    const who = { identity: r.identity, requestId: items.length > 1 ? `${requestId}:${i}` : requestId };
    serials.push(await r.node.annotations.publish(r.key, r.name, who, { ...item, messageSerial }));
  }
  sendBody(r.req, r.res, r.query, 201, { serials });
}

/**
 * GET /channels/{name}/messages/{serial}/annotations (RestAnnotations.get, RSAN3): the message's annotations,
 * oldest first, `limit` per page with Link paging; 40400 for an unknown message.
 */
export async function getAnnotations(r: ChannelRequest, rawSerial: string): Promise<void> {
  const messageSerial = decodeSegment(rawSerial);
  const limit = parseLimit(r.query);
  const cursor = r.query.get(CURSOR_PARAM) ?? undefined;
  if (cursor !== undefined && !/^\d+$/.test(cursor)) throw ErrorInfo.of('invalidParameter', 'page is not a cursor');
  const page = await r.node.annotations.list(r.key, messageSerial, limit, cursor);
  sendBody(r.req, r.res, r.query, 200, itemsForFormat(r, page.items), linkHeader('annotations', r.query, page.next));
}
