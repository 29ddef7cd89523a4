import { allowsApp } from '../auth/capability.ts';
import { ErrorInfo } from '../errors/index.ts';
import { parseTimeParam, STATS_UNITS, type StatsUnit } from '../stats/index.ts';
import type { RestRequest } from './context.ts';
import { CURSOR_PARAM, linkHeader, parseLimit } from './history-params.ts';
import { sendBody } from './respond.ts';
import { authenticateRequest } from './rest-auth.ts';

/**
 * `GET /stats` (Ably RSC6): the app's stats per `unit` (minute, hour, day, month; `by` is the old name), between
 * `start` and `end` (epoch ms or interval ids, inclusive), newest first unless `direction=forwards`, paged by `limit`. Needs the `statistics` capability (40160 without).
 */
export async function getStats(r: RestRequest): Promise<void> {
  const identity = await authenticateRequest(r.node, r.req, r.query);
  // Ably answers 40160 when the key or token does not grant `statistics` (the app's usage is not every client's to read).
  if (!allowsApp(identity.capability, 'statistics')) throw ErrorInfo.of('capabilityDenied', 'statistics on this app');
  const q = r.query;
  const unit = (q.get('unit') ?? q.get('by') ?? 'minute') as StatsUnit;
  if (!STATS_UNITS.includes(unit)) throw ErrorInfo.of('invalidParameter', `unit must be one of ${STATS_UNITS.join(', ')}`);
  const direction = q.get('direction') ?? 'backwards';
  if (direction !== 'backwards' && direction !== 'forwards') {
    throw ErrorInfo.of('invalidParameter', 'direction must be backwards or forwards');
  }
  const start = q.get('start') ? parseTimeParam(q.get('start') as string, 'start') : undefined;
  const end = q.get('end') ? parseTimeParam(q.get('end') as string, 'end') : undefined;
  if (start !== undefined && end !== undefined && start > end)
    throw ErrorInfo.of('invalidParameter', 'start must not be after end');
  const offset = Number(q.get(CURSOR_PARAM) ?? 0);
  if (!Number.isInteger(offset) || offset < 0) throw ErrorInfo.of('invalidParameter', 'bad page cursor');
  const limit = parseLimit(q);
  const page = r.state.stats.query(identity.appId, { start, end, unit, direction, limit, offset });
  const next = page.more ? String(offset + limit) : undefined;
  sendBody(r.req, r.res, q, 200, page.items, linkHeader('stats', q, next));
}
