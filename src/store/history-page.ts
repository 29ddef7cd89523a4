import type { Message, PresenceMessage } from '../protocol/index.ts';
import type { ChannelEvent } from './broker.ts';
import { flattenItems, type HistoryPage, type HistoryQuery } from './history-store.ts';

/**
 * One page of history from a channel's retained events (oldest first), with the same filtering and cursor rules for
 * every HistoryStore: times and `untilSeq` inclusive, cursor = position of the page's first item.
 */
export function pageEvents<T extends Message | PresenceMessage>(
  events: ChannelEvent[],
  q: HistoryQuery,
  itemsOf: (e: ChannelEvent) => T[],
): HistoryPage<T> {
  // Positions are "seq.index" pairs encoded as one sortable number; index < 10_000 (items per message are capped).
  const pos = (seq: number, i: number) => seq * 10_000 + i;
  const from = q.cursor === undefined ? undefined : Number(q.cursor);
  const all: Array<{ p: number; item: T }> = [];
  for (const e of events) {
    const ts = e.message.timestamp ?? 0;
    if (q.start !== undefined && ts < q.start) continue;
    if (q.end !== undefined && ts > q.end) continue;
    if (q.untilSeq !== undefined && e.seq > q.untilSeq) continue;
    for (const [i, item] of flattenItems(e, itemsOf(e)).entries()) all.push({ p: pos(e.seq, i), item });
  }
  const backwards = q.direction === 'backwards';
  if (backwards) all.reverse();
  const start = from === undefined ? 0 : all.findIndex((x) => (backwards ? x.p <= from : x.p >= from));
  if (start < 0) return { items: [] };
  const slice = all.slice(start, start + q.limit + 1);
  const next = slice.length > q.limit ? String((slice[q.limit] as { p: number }).p) : undefined;
  return { items: slice.slice(0, q.limit).map((x) => x.item), next };
}
