import type { IncomingMessage, ServerResponse } from 'node:http';
import { allows } from '../auth/capability.ts';
import { channelKey, validateChannelName } from '../channel/channel-name.ts';
import { ErrorInfo } from '../errors/index.ts';
import type { Node } from '../node/node.ts';
import { sendBody, sendError } from '../rest/respond.ts';
import { authenticateRequest } from '../rest/rest-auth.ts';
import { GraceTracker } from './grace-tracker.ts';
import { DashboardFeed } from './live-feed.ts';
import { dashboardLogin } from './login.ts';
import { memberSince } from './member-since.ts';
import type { NodeStatus } from './node-status.ts';
import { StaticFiles } from './static-files.ts';

export interface DashboardOptions {
  /** The cluster's nodes with their health (this node alone in single-node mode). */
  nodes: () => Promise<NodeStatus[]>;
}

/** The dashboard's HTTP surface, mounted by `server/` ahead of the REST API. */
export interface Dashboard {
  /** Serves the request when it is the dashboard's (true), else leaves it alone (false) for the REST API. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Ends the live streams (server shutdown). */
  close(): void;
}

const API = '/dashboard/api/';

/**
 * Routes:
 * - `GET /` from a browser (Accept: text/html) → 302 to `/dashboard/`; API clients keep their JSON answers.
 * - `GET /dashboard/` and its files; `GET /dashboard/vendor/ably.min.js` is the SDK's browser build.
 * - `POST /dashboard/api/login` → a read-only token ({@link dashboardLogin}).
 * - `GET /dashboard/api/stream` → server-sent events: channels with occupancy, grace periods, nodes.
 * - `GET /dashboard/api/channels/{name}/members` → since when each member is present.
 * API errors are Ably errors, as on the REST API.
 */
export function createDashboard(node: Node, options: DashboardOptions): Dashboard {
  const files = new StaticFiles();
  const grace = new GraceTracker(node);
  const feed = new DashboardFeed({ node, grace, nodes: options.nodes }, node.config.dashboardPushInterval);

  async function api(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === 'login') {
      if (method !== 'POST') throw ErrorInfo.of('methodNotAllowed', 'login is POST');
      return sendBody(req, res, query, 200, await dashboardLogin(node, req));
    }
    if (path === 'stream') {
      if (method !== 'GET') throw ErrorInfo.of('methodNotAllowed', 'stream is GET');
      return feed.add(res, await authenticateRequest(node, req, query));
    }
    const members = /^channels\/([^/]+)\/members$/.exec(path);
    if (members) {
      if (method !== 'GET') throw ErrorInfo.of('methodNotAllowed', 'members is GET');
      const identity = await authenticateRequest(node, req, query);
      const name = validateChannelName(decodeSegment(members[1] as string), node.config.maxChannelNameLength);
      if (!allows(identity.capability, name, 'channel-metadata')) throw ErrorInfo.of('capabilityDenied', name);
      const key = channelKey(identity.appId, name);
      const list = await node.presence.store.members(key);
      return sendBody(req, res, query, 200, await memberSince(node.history, key, list, node.config.historyMaxPerChannel));
    }
    throw ErrorInfo.of('notFound', `no dashboard route for ${path}`);
  }

  async function serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path.startsWith(API)) {
      try {
        await api(req, res, path.slice(API.length), url.searchParams);
      } catch (err) {
        if (res.headersSent) throw err;
        sendError(req, res, url.searchParams, err);
      }
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(req, res, url.searchParams, ErrorInfo.of('methodNotAllowed', 'dashboard files are GET'));
    }
    const name = path === '/dashboard/' ? 'index.html' : path.slice('/dashboard/'.length);
    if (!(await files.serve(req, res, name))) {
      sendError(req, res, url.searchParams, ErrorInfo.of('notFound', `no dashboard file ${name}`));
    }
  }

  return {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const read = method === 'GET' || method === 'HEAD';
      if (url.pathname === '/' && read && (req.headers.accept ?? '').includes('text/html') && files.available) {
        res.writeHead(302, { location: '/dashboard/' }).end();
        return true;
      }
      if (url.pathname === '/dashboard' && read) {
        res.writeHead(301, { location: '/dashboard/' }).end();
        return true;
      }
      if (!url.pathname.startsWith('/dashboard/')) return false;
      serve(req, res, url).catch((err) => {
        node.fail(err);
        if (!res.headersSent) res.writeHead(500).end();
      });
      return true;
    },
    close: () => feed.close(),
  };
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw ErrorInfo.of('invalidChannelName', 'malformed percent-encoding');
  }
}
