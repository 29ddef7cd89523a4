import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseApiKey } from '../auth/api-key.ts';
import { ErrorInfo } from '../errors/index.ts';
import { readBody } from '../rest/read-body.ts';
import { sendBody, sendError, sendPreflight } from '../rest/respond.ts';
import type { ServerOptions } from '../server/create-server.ts';
import { fixtureRecord } from '../stats/index.ts';
import { parseAppSpec } from './app-spec.ts';
import { SandboxApp } from './sandbox-app.ts';

/** Settings of the provisioner itself; every app's server takes `server` (its own port is always chosen freely). */
export interface SandboxOptions {
  /** Port of the provisioner (`POST /apps`); 0 picks a free one. */
  port: number;
  /** Interface the provisioner and every app's server bind. */
  host: string;
  /** Largest `POST /apps` or `POST /stats` body, bytes. */
  maxBodySize: number;
  /** Settings for each app's Rollcall (timings, limits); keys, host and port are the sandbox's own. */
  server: ServerOptions;
}

export const DEFAULT_SANDBOX_OPTIONS: SandboxOptions = {
  port: 9010,
  host: '127.0.0.1',
  maxBodySize: 1024 * 1024,
  // A deleted test app has no one to hand clients over to: its sockets close at once.
  server: { shutdownDrainTime: 0 },
};

/** The running provisioner. */
export interface Sandbox {
  readonly apps: ReadonlyMap<string, SandboxApp>;
  listen(): Promise<AddressInfo>;
  /** Deletes every app, then stops listening. */
  close(): Promise<void>;
}

/** The hostname clients of an app are sent to: the bound interface, or `localhost` when bound to every interface. */
function endpointFor(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
}

/** The app a request's `Authorization: Basic base64(keyStr)` (or `?key=`) belongs to, if the secret matches. */
function authenticatedApp(apps: Map<string, SandboxApp>, req: IncomingMessage, query: URLSearchParams): SandboxApp {
  const header = req.headers.authorization ?? '';
  const keyStr = header.startsWith('Basic ')
    ? Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8')
    : (query.get('key') ?? '');
  const parsed = parseApiKey(keyStr);
  if (!parsed) throw ErrorInfo.of('noCredentials', "use Basic auth with one of the app's keys");
  const app = apps.get(parsed.appId);
  if (!app?.keys.some((k) => k.keyStr === keyStr)) throw ErrorInfo.of('invalidCredentials', `no sandbox app key ${parsed.name}`);
  return app;
}

/**
 * The test-app sandbox: `POST /apps` boots an isolated Rollcall for a new app and answers where it listens,
 * `DELETE /apps/{appId}` frees it (idempotent), `POST /stats` stores stats fixtures for the app whose key signs it.
 * Test tooling for SDK suites and users' integration tests; not meant to face the internet.
 */
export function createSandbox(options: Partial<SandboxOptions> = {}): Sandbox {
  const opts = { ...DEFAULT_SANDBOX_OPTIONS, ...options, server: { ...DEFAULT_SANDBOX_OPTIONS.server, ...options.server } };
  const apps = new Map<string, SandboxApp>();
  const endpoint = endpointFor(opts.host);

  async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === '/apps') {
      if (method !== 'POST') throw ErrorInfo.of('methodNotAllowed', `${method} /apps`);
      const spec = parseAppSpec(await readBody(req, opts.maxBodySize));
      const app = new SandboxApp(spec, opts.host, endpoint, opts.server);
      await app.start();
      apps.set(app.appId, app);
      return sendBody(req, res, query, 201, app.describe());
    }
    const appPath = /^\/apps\/([^/]+)$/.exec(path);
    if (appPath) {
      if (method !== 'DELETE') throw ErrorInfo.of('methodNotAllowed', `${method} ${path}`);
      const app = apps.get(decodeURIComponent(appPath[1] as string));
      // Deleting what is already gone succeeds, so a retried teardown never fails a suite.
      if (app) {
        if (authenticatedApp(apps, req, query) !== app) throw ErrorInfo.of('capabilityDenied', 'that key belongs to another app');
        apps.delete(app.appId);
        await app.close();
      }
      res.writeHead(204).end();
      return;
    }
    if (path === '/stats') {
      if (method !== 'POST') throw ErrorInfo.of('methodNotAllowed', `${method} /stats`);
      const app = authenticatedApp(apps, req, query);
      const body = await readBody(req, opts.maxBodySize);
      const fixtures = Array.isArray(body) ? body : [body];
      // Every fixture is checked before any is stored, so a bad batch leaves the app's stats as they were.
      app.stats.add(app.appId, fixtures.map(fixtureRecord));
      return sendBody(req, res, query, 201, fixtures);
    }
    throw ErrorInfo.of('notFound', `no sandbox route for ${path}`);
  }

  const http = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'OPTIONS') return sendPreflight(req, res);
    route(req, res, url.pathname, url.searchParams).catch((err) => {
      if (!res.headersSent) sendError(req, res, url.searchParams, err);
      else res.destroy();
    });
  });

  return {
    apps,
    listen: () =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(opts.port, opts.host, () => resolve(http.address() as AddressInfo));
      }),
    close: async () => {
      const all = [...apps.values()];
      apps.clear();
      await Promise.all(all.map((app) => app.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
