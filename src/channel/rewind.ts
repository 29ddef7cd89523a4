import type { ChannelEvent } from '../store/broker.ts';
import type { HistoryStore } from '../store/history-store.ts';
import type { Rewind } from './params.ts';

/**
 * The events a fresh attach with `rewind` replays, oldest first: those of the last `ms`, or the fewest latest
 * events holding at least `count` messages (a batch publish is replayed whole, never split, so message ids stay
 * the ones the SDK derives from its ProtocolMessage).
 */
export async function rewindEvents(history: HistoryStore, channel: string, rewind: Rewind, now: number): Promise<ChannelEvent[]> {
  if ('ms' in rewind) return history.recentMessages(channel, now - rewind.ms);
  if (rewind.count === 0) return [];
  const events = await history.recentMessages(channel);
  let messages = 0;
  let start = events.length;
  while (start > 0 && messages < rewind.count) {
    start--;
    messages += events[start]?.message.messages?.length ?? 0;
  }
  return events.slice(start);
}
