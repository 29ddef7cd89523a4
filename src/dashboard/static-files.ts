import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
};

/** Everything is served from this origin: no inline script, no CDN, no framing. */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * The page's folder: `dashboard/` at the package root, found by walking up from this file so the same code works
 * from `src/` (tsx) and from a compiled copy elsewhere in the package.
 */
function findDashboardDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'dashboard', 'index.html'))) return join(dir, 'dashboard');
    dir = dirname(dir);
  }
  return undefined;
}

/** The `ably` SDK's browser build, shipped in its npm package next to the Node build that `ably` resolves to. */
function findAblyBrowserBuild(): string | undefined {
  try {
    const file = join(dirname(createRequire(import.meta.url).resolve('ably')), 'ably.min.js');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Serves the page's files (read once, then from memory) and the SDK's browser build at `vendor/ably.min.js`. */
export class StaticFiles {
  private readonly dir = findDashboardDir();
  private readonly ably = findAblyBrowserBuild();
  private readonly cache = new Map<string, Buffer>();

  /** Whether the page can be served at all (its folder is part of the installation). */
  get available(): boolean {
    return this.dir !== undefined;
  }

  /**
   * Answers `name` (a bare file name such as `app.js`, or `vendor/ably.min.js`); false when there is no such file,
   * so the caller answers 404. Names are matched against a strict pattern: no paths outside the folder.
   */
  async serve(req: IncomingMessage, res: ServerResponse, name: string): Promise<boolean> {
    const file = this.resolve(name);
    if (!file) return false;
    let body = this.cache.get(file);
    if (!body) {
      body = await readFile(file);
      this.cache.set(file, body);
    }
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)] as string;
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  private resolve(name: string): string | undefined {
    if (name === 'vendor/ably.min.js') return this.ably;
    if (!this.dir || !/^[a-z0-9][a-z0-9-]*\.(html|js|css|svg|png)$/.test(name)) return undefined;
    const file = join(this.dir, name);
    return existsSync(file) ? file : undefined;
  }
}
