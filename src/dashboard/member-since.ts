import { memberKey } from '../presence/member.ts';
import { PresenceAction } from '../protocol/index.ts';
import type { HistoryStore } from '../store/history-store.ts';

/** Since when a member has been present: the time of its latest ENTER; null when that is older than the history kept. */
export interface MemberSince {
  clientId: string;
  connectionId: string;
  since: number | null;
}

/**
 * When each of `members` entered, from presence history read newest first: the first ENTER met for a member is
 * the one that began its current stay. A LEAVE met first means the stay began with an event history no longer
 * holds (or with an UPDATE), so the answer is null rather than a guess. Reads at most `maxEvents` events.
 */
export async function memberSince(
  history: HistoryStore,
  channel: string,
  members: Array<{ clientId: string; connectionId: string }>,
  maxEvents: number,
): Promise<MemberSince[]> {
  const wanted = new Set(members.map((m) => memberKey(m.clientId, m.connectionId)));
  const found = new Map<string, number | null>();
  let cursor: string | undefined;
  let read = 0;
  while (found.size < wanted.size && read < maxEvents) {
    const limit = Math.min(1000, maxEvents - read);
    const page = await history.presence(channel, { direction: 'backwards', limit, cursor });
    for (const item of page.items) {
      if (!item.clientId || !item.connectionId) continue;
      const key = memberKey(item.clientId, item.connectionId);
      if (!wanted.has(key) || found.has(key)) continue;
      if (item.action === PresenceAction.ENTER) found.set(key, item.timestamp ?? null);
      else if (item.action === PresenceAction.LEAVE) found.set(key, null);
    }
    read += page.items.length;
    if (!page.next || page.items.length === 0) break;
    cursor = page.next;
  }
  return members.map((m) => ({
    clientId: m.clientId,
    connectionId: m.connectionId,
    since: found.get(memberKey(m.clientId, m.connectionId)) ?? null,
  }));
}
