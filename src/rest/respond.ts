import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorInfo } from '../errors/index.ts';
import { packMsgpack } from '../protocol/index.ts';

const ALLOW_HEADERS = 'authorization, content-type, accept, x-ably-version, ably-agent, x-ably-clientid';
const EXPOSE_HEADERS = 'link, x-ably-errorcode, x-ably-errormessage, x-ably-serverid';

/** CORS for browser SDKs, which send credentials: echo the Origin and allow credentials (Ably §7). */
export function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  return {
    'access-control-allow-origin': origin ?? '*',
    ...(origin ? { 'access-control-allow-credentials': 'true', vary: 'Origin' } : {}),
    'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
    'access-control-allow-headers': ALLOW_HEADERS,
    'access-control-expose-headers': EXPOSE_HEADERS,
  };
}

/**
 * Answers a CORS preflight. The headers a browser asks for are echoed besides the ones the SDK always sends, so
 * `ClientOptions.headers` with custom names still pass the preflight.
 */
export function sendPreflight(req: IncomingMessage, res: ServerResponse): void {
  const requested = req.headers['access-control-request-headers'];
  const headers = corsHeaders(req);
  if (typeof requested === 'string' && requested.trim() !== '') {
    headers['access-control-allow-headers'] = `${ALLOW_HEADERS}, ${requested}`;
  }
  res.writeHead(204, { ...headers, 'access-control-max-age': '86400' }).end();
}

/** msgpack when the client asks for it (Accept or `format=msgpack`), else JSON. */
export function wantsMsgpack(req: IncomingMessage, query: URLSearchParams): boolean {
  const format = query.get('format');
  if (format) return format === 'msgpack';
  return (req.headers.accept ?? '').includes('application/x-msgpack');
}

/** The format a success body goes out in: the envelope's when one is asked for, else the requested format. */
export function respondsMsgpack(req: IncomingMessage, query: URLSearchParams): boolean {
  const envelope = query.get('envelope');
  if (envelope === 'json' || envelope === 'msgpack') return envelope === 'msgpack';
  return wantsMsgpack(req, query);
}

/**
 * Writes a success body. With `envelope=json|msgpack` (browsers, which cannot read Link headers, and
 * `channel.status()`) the body is `{statusCode, response, headers}` and the status is 200.
 */
export function sendBody(
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const envelope = query.get('envelope');
  let payload: unknown = body;
  let code = status;
  if (envelope === 'json' || envelope === 'msgpack') {
    payload = { statusCode: status, response: body, headers };
    code = 200;
  }
  const msgpack = respondsMsgpack(req, query);
  // Content types must be exact: the Node SDK switches on the raw header (Ably §7).
  res.writeHead(code, {
    ...corsHeaders(req),
    ...headers,
    'content-type': msgpack ? 'application/x-msgpack' : 'application/json',
  });
  res.end(msgpack ? packMsgpack(payload) : JSON.stringify(payload));
}

/**
 * Writes an Ably error: `{error:{...}}`, exact content type, and the X-Ably-Errorcode/Errormessage headers (the
 * browser SDK treats a failed response as an Ably error only when X-Ably-Errorcode is present).
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  err: unknown,
  headers: Record<string, string> = {},
): void {
  const error = ErrorInfo.from(err);
  const msgpack = wantsMsgpack(req, query);
  const body = { error: error.toWire() };
  res.writeHead(error.statusCode, {
    ...corsHeaders(req),
    ...headers,
    'content-type': msgpack ? 'application/x-msgpack' : 'application/json',
    'x-ably-errorcode': String(error.code),
    // Header values must be printable ASCII; the body carries the exact message.
    'x-ably-errormessage': error.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 512),
  });
  res.end(msgpack ? packMsgpack(body) : JSON.stringify(body));
}
