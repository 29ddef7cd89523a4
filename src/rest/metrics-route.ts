import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ErrorInfo } from '../errors/index.ts';
import type { RestRequest } from './context.ts';
import { authenticateRequest } from './rest-auth.ts';

/**
 * `GET /metrics`: the server's metrics in Prometheus text format. 404 when metrics are off. Readable with an API
 * key (Basic auth, as the REST API takes it) or with `Authorization: Bearer <metricsToken>` when that is set.
 * Ably tokens are refused (40100) even when valid: they are handed to end users, and metrics cover every app.
 */
export async function getMetrics(r: RestRequest): Promise<void> {
  const metrics = r.state.metrics;
  if (!metrics) throw ErrorInfo.of('notFound', 'metrics are turned off (metrics: false)');
  if (!bearerMatches(r.req, r.node.config.metricsToken)) {
    const identity = await authenticateRequest(r.node, r.req, r.query);
    if (!identity.viaKey) throw ErrorInfo.of('unauthorized', 'metrics need an API key or the metricsToken, not an Ably token');
  }
  const { contentType, body } = await metrics.scrape();
  r.res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
}

/** Whether the request carries `Bearer <token>` (compared in constant time). */
function bearerMatches(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return false;
  const [scheme, value = ''] = (req.headers.authorization ?? '').split(' ', 2);
  if (scheme?.toLowerCase() !== 'bearer') return false;
  const given = Buffer.from(value);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
