import { ErrorInfo } from '../errors/index.ts';
import type { HistoryQuery } from '../store/history-store.ts';
import { parseSerial } from '../store/serial.ts';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** The query parameter carrying our pagination cursor; opaque to the SDK, which sends it back verbatim. */
export const CURSOR_PARAM = 'page';

function optNumber(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw ErrorInfo.of('invalidParameter', `${name} must be a number`);
  return v;
}

/** `limit` as Ably reads it: default 100, an integer in 1..1000, else 40003. */
export function parseLimit(query: URLSearchParams): number {
  const limit = optNumber(query, 'limit') ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw ErrorInfo.of('invalidParameter', `limit must be an integer in 1..${MAX_LIMIT}`);
  }
  return limit;
}

/** Parses Ably history params: start, end, direction, limit (1..1000), from_serial, and our cursor `page`. */
export function parseHistoryQuery(query: URLSearchParams): HistoryQuery {
  const direction = query.get('direction') ?? 'backwards';
  if (direction !== 'backwards' && direction !== 'forwards') {
    throw ErrorInfo.of('invalidParameter', 'direction must be backwards or forwards');
  }
  const limit = parseLimit(query);
  const start = optNumber(query, 'start');
  const end = optNumber(query, 'end');
  if (start !== undefined && end !== undefined && start > end)
    throw ErrorInfo.of('invalidParameter', 'start must not be after end');
  // The SDK sends `from_serial` for untilAttach (Ably §7.1); the spec's name is accepted too.
  const fromSerial = query.get('from_serial') ?? query.get('fromSerial');
  const untilSeq = fromSerial ? parseSerial(fromSerial)?.seq : undefined;
  if (fromSerial && untilSeq === undefined) throw ErrorInfo.of('invalidParameter', 'from_serial is not a serial');
  return { direction, limit, start, end, untilSeq, cursor: query.get(CURSOR_PARAM) ?? undefined };
}

/**
 * A query string the SDK reads back exactly: it splits the Link header on commas and decodes each value with
 * `decodeURIComponent`, so every value is percent-encoded (no raw commas, and `%20` rather than URLSearchParams'
 * `+`, which would come back as a literal plus).
 */
function linkQuery(params: URLSearchParams): string {
  return [...params].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/**
 * The Link header the SDK paginates with (Ably §7): `<./<resource>?<query>>; rel="first|current|next"`. The SDK
 * re-requests its own path with the parsed query, so `resource` only has to be one word (`\w+`); it names the
 * last path segment (`messages`, `history`, `presence`, `channels`) as Ably does. Transport-only params
 * (`envelope`, `rnd`, `format`) are left out: each request adds its own.
 */
export function linkHeader(resource: string, query: URLSearchParams, next: string | undefined): Record<string, string> {
  const current = new URLSearchParams(query);
  for (const k of ['envelope', 'rnd', 'format']) current.delete(k);
  // The SDK ignores a link with an empty query, so every link carries at least the limit.
  if (!current.has('limit')) current.set('limit', String(DEFAULT_LIMIT));
  const first = new URLSearchParams(current);
  first.delete(CURSOR_PARAM);
  const link = (params: URLSearchParams, rel: string) => `<./${resource}?${linkQuery(params)}>; rel="${rel}"`;
  const links = [link(first, 'first'), link(current, 'current')];
  if (next !== undefined) {
    const nextQuery = new URLSearchParams(first);
    nextQuery.set(CURSOR_PARAM, next);
    links.push(link(nextQuery, 'next'));
  }
  return { link: links.join(', ') };
}
