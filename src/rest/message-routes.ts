import { ErrorInfo } from '../errors/index.ts';
import { isOperation } from '../messages/fold.ts';
import type { ChannelRequest } from './context.ts';
import { decodeSegment } from './context.ts';
import { linkHeader, parseLimit } from './history-params.ts';
import { decodeMessages } from './publish-route.ts';
import { readBody } from './read-body.ts';
import { sendBody } from './respond.ts';
import { itemsForFormat } from './wire-items.ts';

/** The message serial of a `/messages/{serial}` path segment. */
const serialOf = (raw: string): string => decodeSegment(raw);

/** GET /channels/{name}/messages/{serial} (RestChannel.getMessage, RSL11): the latest version; 40400 if unknown. */
export async function getMessage(r: ChannelRequest, rawSerial: string): Promise<void> {
  const message = await r.node.messages.get(r.key, serialOf(rawSerial));
  sendBody(r.req, r.res, r.query, 200, itemsForFormat(r, [message])[0]);
}

/**
 * PATCH /channels/{name}/messages/{serial} (updateMessage, deleteMessage, appendMessage over REST): the body is
 * the operation message (`action` 1, 2 or 5, `version` the operation's details). Answers `{versionSerial}`.
 */
export async function patchMessage(r: ChannelRequest, rawSerial: string): Promise<void> {
  const serial = serialOf(rawSerial);
  const body = await readBody(r.req, r.node.config.maxFrameSize);
  const [op, ...rest] = decodeMessages(body, (r.req.headers['content-type'] ?? '').includes('msgpack'));
  if (!op || rest.length > 0) throw ErrorInfo.of('invalidRequestBody', 'one message operation expected');
  if (!isOperation(op.action))
    throw ErrorInfo.of('invalidRequestBody', 'action must be message.update, message.delete or message.append');
  if (op.serial !== undefined && op.serial !== serial) throw ErrorInfo.of('invalidRequestBody', 'serial does not match the path');
  const who = { identity: r.identity, requestId: `rest-${serial}-${r.node.clock.now()}` };
  const versionSerial = await r.node.messages.operate(r.key, r.name, who, { ...op, serial });
  sendBody(r.req, r.res, r.query, 200, { versionSerial });
}

/** GET /channels/{name}/messages/{serial}/versions (getMessageVersions, RSL14): every version, oldest first. */
export async function getMessageVersions(r: ChannelRequest, rawSerial: string): Promise<void> {
  const page = versionsPage(r.query, await r.node.messages.versions(r.key, serialOf(rawSerial)));
  sendBody(r.req, r.res, r.query, 200, itemsForFormat(r, page.items), linkHeader('versions', r.query, page.next));
}

/**
 * One page of a message's versions (oldest first, or newest first with `direction=backwards`), `limit` at a time
 * from our offset cursor `page`; `next` is the cursor of the following page, if any.
 */
export function versionsPage<T>(query: URLSearchParams, all: T[]): { items: T[]; next?: string } {
  const limit = parseLimit(query);
  const raw = query.get('page');
  const offset = raw === null ? 0 : Number(raw);
  if (!Number.isSafeInteger(offset) || offset < 0) throw ErrorInfo.of('invalidParameter', 'page is not a cursor');
  const ordered = query.get('direction') === 'backwards' ? [...all].reverse() : all;
  const next = offset + limit < ordered.length ? String(offset + limit) : undefined;
  return { items: ordered.slice(offset, offset + limit), next };
}
