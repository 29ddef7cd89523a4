import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorInfo } from '../errors/index.ts';
import type { Node } from '../node/node.ts';
import { channelRequest, getMessages, getPresence, getPresenceHistory, postMessages } from './channel-routes.ts';
import { corsHeaders, sendBody, sendError } from './respond.ts';
import { authenticateRequest } from './rest-auth.ts';

/** Decodes a channel path segment (the SDK encodeURIComponent's names). */
function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw ErrorInfo.of('invalidChannelName', 'malformed percent-encoding');
  }
}

/** Routes one HTTP request. Every failure becomes an Ably error response; nothing throws out. */
export async function handleRest(node: Node, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = url.searchParams;
  try {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'OPTIONS') {
      res.writeHead(204, { ...corsHeaders(req), 'access-control-max-age': '86400' }).end();
      return;
    }
    if (method === 'GET' && path === '/health') return sendBody(req, res, new URLSearchParams(), 200, { status: 'ok' });
    if (method === 'GET' && path === '/time') return sendBody(req, res, new URLSearchParams(), 200, [node.clock.now()]);
    const channel = /^\/channels\/([^/]+)(\/.*)?$/.exec(path);
    if (channel) {
      const identity = authenticateRequest(node, req, query);
      const base = { node, req, res, query, identity };
      const name = segment(channel[1] as string);
      const rest = channel[2] ?? '';
      if (method === 'GET' && rest === '/presence') return getPresence(channelRequest(base, name, 'subscribe'));
      if (method === 'GET' && rest === '/presence/history') return getPresenceHistory(channelRequest(base, name, 'history'));
      if (method === 'GET' && rest === '/messages') return getMessages(channelRequest(base, name, 'history'));
      if (method === 'POST' && rest === '/messages') return postMessages(channelRequest(base, name, 'publish'));
    }
    throw ErrorInfo.of('notFound', `no route for ${method} ${path}`);
  } catch (err) {
    sendError(req, res, query, err);
  }
}
