import { ErrorInfo } from '../errors/index.ts';
import type { HistoryQuery } from '../store/history-store.ts';
import { parseSerial } from '../store/serial.ts';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

function optNumber(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw ErrorInfo.of('invalidParameter', `${name} must be a number`);
  return v;
}

/** Parses Ably history params: start, end, direction, limit (1..1000), from_serial, and our cursor `page`. */
export function parseHistoryQuery(query: URLSearchParams): HistoryQuery {
  const direction = query.get('direction') ?? 'backwards';
  if (direction !== 'backwards' && direction !== 'forwards') {
    throw ErrorInfo.of('invalidParameter', 'direction must be backwards or forwards');
  }
  const limit = optNumber(query, 'limit') ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw ErrorInfo.of('invalidParameter', `limit must be 1..${MAX_LIMIT}`);
  const start = optNumber(query, 'start');
  const end = optNumber(query, 'end');
  if (start !== undefined && end !== undefined && start > end)
    throw ErrorInfo.of('invalidParameter', 'start must not be after end');
  const fromSerial = query.get('from_serial') ?? query.get('fromSerial');
  const untilSeq = fromSerial ? parseSerial(fromSerial)?.seq : undefined;
  if (fromSerial && untilSeq === undefined) throw ErrorInfo.of('invalidParameter', 'from_serial is not a serial');
  return { direction, limit, start, end, untilSeq, cursor: query.get('page') ?? undefined };
}

/**
 * The Link header the SDK paginates with: `<./<last path segment>?<query>>; rel="next"` (Ably §7). The cursor goes
 * in the query, never with raw commas.
 */
export function linkHeader(resource: string, query: URLSearchParams, next: string | undefined): Record<string, string> {
  const first = new URLSearchParams(query);
  first.delete('page');
  for (const k of ['envelope', 'rnd', 'format']) first.delete(k);
  const links = [`<./${resource}?${first.toString()}>; rel="first"`];
  if (next !== undefined) {
    const nextQuery = new URLSearchParams(first);
    nextQuery.set('page', next);
    links.push(`<./${resource}?${nextQuery.toString()}>; rel="next"`);
  }
  return { link: links.join(', ') };
}
