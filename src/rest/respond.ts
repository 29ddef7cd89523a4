import type { IncomingMessage, ServerResponse } from 'node:http';
import { Packr } from 'msgpackr';
import { ErrorInfo } from '../errors/index.ts';

const packr = new Packr({ useRecords: false, skipValues: [undefined] } as ConstructorParameters<typeof Packr>[0]);

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

/** msgpack when the client asks for it (Accept or `format=msgpack`), else JSON. */
export function wantsMsgpack(req: IncomingMessage, query: URLSearchParams): boolean {
  const format = query.get('format');
  if (format) return format === 'msgpack';
  return (req.headers.accept ?? '').includes('application/x-msgpack');
}

/**
 * Writes a success body. With `envelope=json|msgpack` (browsers, which cannot read Link headers) the body is
 * `{statusCode, response, headers}` and the status is 200.
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
  const msgpack = envelope ? envelope === 'msgpack' : wantsMsgpack(req, query);
  // Content types must be exact: the Node SDK switches on the raw header (Ably §7).
  res.writeHead(code, {
    ...corsHeaders(req),
    ...headers,
    'content-type': msgpack ? 'application/x-msgpack' : 'application/json',
  });
  res.end(msgpack ? packr.pack(payload) : JSON.stringify(payload));
}

/** Writes an Ably error: `{error:{...}}`, exact content type, and the X-Ably-Errorcode/Errormessage headers. */
export function sendError(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, err: unknown): void {
  const error = ErrorInfo.from(err);
  const msgpack = wantsMsgpack(req, query);
  const body = { error: error.toWire() };
  res.writeHead(error.statusCode, {
    ...corsHeaders(req),
    'content-type': msgpack ? 'application/x-msgpack' : 'application/json',
    'x-ably-errorcode': String(error.code),
    'x-ably-errormessage': encodeURIComponent(error.message).slice(0, 512),
  });
  res.end(msgpack ? packr.pack(body) : JSON.stringify(body));
}
