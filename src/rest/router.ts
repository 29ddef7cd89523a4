import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Operation } from '../auth/capability.ts';
import { ErrorInfo } from '../errors/index.ts';
import type { Node } from '../node/node.ts';
import type { Metrics } from '../observability/metrics.ts';
import { MemoryStatsStore, type StatsStore } from '../stats/index.ts';
import { getAnnotations, postAnnotations } from './annotation-routes.ts';
import { getBatchPresence, postBatchMessages } from './batch-routes.ts';
import { getMessages, getPresence, getPresenceHistory, postMessages } from './channel-routes.ts';
import { getChannelStatus, listChannels } from './channel-status.ts';
import { chatRoutes } from './chat/chat-routes.ts';
import { channelRequest, type Health, type RestRequest, type RestState } from './context.ts';
import { getMessage, getMessageVersions, patchMessage } from './message-routes.ts';
import { getMetrics } from './metrics-route.ts';
import { sendBody, sendError, sendPreflight } from './respond.ts';
import { revokeTokens } from './revoke-route.ts';
import type { Handler, Route } from './route.ts';
import { getStats } from './stats-route.ts';
import { requestToken } from './token-route.ts';

/** Any of these lets a request reach a message operation; MessageService then checks the one it needs. */
const MESSAGE_OPERATIONS: Operation[] = ['message-update-own', 'message-update-any', 'message-delete-own', 'message-delete-any'];

/**
 * Every REST route. A path that matches with another method is 405 (40500); a path that matches nothing is 404
 * (40400). Handlers authenticate themselves, so public routes (`/time`, `/health`, token requests) need nothing.
 */
const ROUTES: Route[] = [
  // Liveness and readiness answer the same: a node cut off from its backend keeps its clients but is not ready.
  { path: /^\/(health|ready)$/, methods: { GET: (r) => sendHealth(r) } },
  // The SDK always asks /time for JSON and reads `body[0]`; no credentials are needed (Ably §7).
  { path: /^\/time$/, methods: { GET: (r) => sendBody(r.req, r.res, new URLSearchParams(), 200, [r.node.clock.now()]) } },
  { path: /^\/metrics$/, methods: { GET: (r) => getMetrics(r) } },
  // Ably answers `GET /keys/{key}/requestToken` with 404 40400, and SDK suites rely on it (ably-js `request_404`).
  {
    path: /^\/keys\/([^/]+)\/requestToken$/,
    methods: { POST: (r, [keyName]) => requestToken(r, keyName as string) },
    otherMethodsNotFound: true,
  },
  { path: /^\/keys\/([^/]+)\/revokeTokens$/, methods: { POST: (r, [keyName]) => revokeTokens(r, keyName as string) } },
  { path: /^\/stats$/, methods: { GET: (r) => getStats(r) } },
  { path: /^\/messages$/, methods: { POST: (r) => postBatchMessages(r) } },
  { path: /^\/presence$/, methods: { GET: (r) => getBatchPresence(r) } },
  { path: /^\/channels$/, methods: { GET: (r) => listChannels(r) } },
  { path: /^\/channels\/([^/]+)$/, methods: { GET: (r, [ch]) => getChannelStatus(r, ch as string) } },
  {
    path: /^\/channels\/([^/]+)\/messages$/,
    methods: {
      GET: async (r, [ch]) => getMessages(await channelRequest(r, ch as string, 'history')),
      POST: async (r, [ch]) => postMessages(await channelRequest(r, ch as string, 'publish')),
    },
  },
  {
    path: /^\/channels\/([^/]+)\/messages\/([^/]+)$/,
    methods: {
      GET: async (r, [ch, serial]) => getMessage(await channelRequest(r, ch as string, 'history'), serial as string),
      PATCH: async (r, [ch, serial]) => patchMessage(await channelRequest(r, ch as string, MESSAGE_OPERATIONS), serial as string),
    },
  },
  {
    path: /^\/channels\/([^/]+)\/messages\/([^/]+)\/versions$/,
    methods: {
      GET: async (r, [ch, serial]) => getMessageVersions(await channelRequest(r, ch as string, 'history'), serial as string),
    },
  },
  {
    path: /^\/channels\/([^/]+)\/messages\/([^/]+)\/annotations$/,
    methods: {
      GET: async (r, [ch, serial]) => getAnnotations(await channelRequest(r, ch as string, 'history'), serial as string),
      POST: async (r, [ch, serial]) =>
        postAnnotations(await channelRequest(r, ch as string, 'annotation-publish'), serial as string),
    },
  },
  {
    path: /^\/channels\/([^/]+)\/presence$/,
    methods: { GET: async (r, [ch]) => getPresence(await channelRequest(r, ch as string, 'subscribe')) },
  },
  {
    path: /^\/channels\/([^/]+)\/presence\/history$/,
    methods: { GET: async (r, [ch]) => getPresenceHistory(await channelRequest(r, ch as string, 'history')) },
  },
  // The Chat REST API (`@ably/chat`, X-Ably-Version 4): one file per resource under rest/chat/.
  ...chatRoutes,
];

function sendHealth(r: RestRequest): void {
  const { up, detail } = r.state.health();
  sendBody(r.req, r.res, new URLSearchParams(), up ? 200 : 503, { status: up ? 'ok' : 'unhealthy', ...detail });
}

/** Finds the route for a path, and the handler for the method (undefined when the method is not allowed). */
function match(method: string, path: string): { route: Route; handler?: Handler; params: string[] } | undefined {
  for (const route of ROUTES) {
    const m = route.path.exec(path);
    if (!m) continue;
    const handler = route.methods[method];
    if (!handler && route.otherMethodsNotFound) return undefined;
    return { route, handler, params: m.slice(1) };
  }
  return undefined;
}

/** Routes one HTTP request. Every failure becomes an Ably error response; nothing throws out. */
async function handle(state: RestState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = url.searchParams;
  const method = req.method ?? 'GET';
  let allow: Record<string, string> = {};
  try {
    if (method === 'OPTIONS') return sendPreflight(req, res);
    const found = match(method, url.pathname);
    if (!found) throw ErrorInfo.of('notFound', `no route for ${url.pathname}`);
    if (!found.handler) {
      allow = { allow: [...Object.keys(found.route.methods), 'OPTIONS'].join(', ') };
      throw ErrorInfo.of('methodNotAllowed', `${method} is not supported on ${url.pathname}`);
    }
    await found.handler({ state, node: state.node, req, res, query }, found.params);
  } catch (err) {
    if (res.headersSent) throw err;
    sendError(req, res, query, err, allow);
  }
}

/** The REST API of one server: its per-instance state and the request handler `server/` mounts. */
export function createRestApi(
  node: Node,
  health: () => Health = () => ({ up: true }),
  metrics?: Metrics,
  stats: StatsStore = new MemoryStatsStore(),
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const state: RestState = { node, health, metrics, stats };
  return (req, res) => handle(state, req, res);
}
