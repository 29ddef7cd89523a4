import type { Node } from '../node/node.ts';
import { Flag, type ProtocolMessage } from '../protocol/index.ts';

/**
 * Sends every local presence subscriber a fresh SYNC of its channel, read from the shared store; resolves with how
 * many channels were re-synced. For when this node may have missed other nodes' presence events: its subscription
 * to Redis was interrupted (an outage, a failover), and nodes that came back sooner may have published LEAVEs and
 * ENTERs meanwhile. Called once the subscription is restored, so whatever the read misses arrives as an event.
 * At the end of the sync the SDK drops the members it holds that the sync did not name, announcing their LEAVE
 * (RTP19), and announces those it lacked; a client whose view was right sees no event.
 */
export async function resyncPresence(node: Node): Promise<number> {
  let channels = 0;
  for (const key of [...node.channels.channels()]) {
    const subscribers = () =>
      [...node.channels.attachments(key)].filter(
        // One still attaching gets its SYNC from the attach; a derived channel holds no members.
        (att) => att.state === 'attached' && !att.derived && att.modes & Flag.PRESENCE_SUBSCRIBE && att.connection.transport,
      );
    if (subscribers().length === 0) continue;
    // One SYNC per channel name, shared by its subscribers (encoded once per format); an empty set still gets one
    // empty page, which ends the sync and so drops every member the clients held.
    const pages = new Map<string, readonly ProtocolMessage[]>();
    for (const att of subscribers()) {
      if (pages.has(att.name)) continue;
      const sync = await node.presence.currentSync(key, att.name, node.config.syncPageSize);
      pages.set(att.name, sync.length > 0 ? sync : node.presence.syncPages(att.name, [], node.config.syncPageSize));
    }
    // Read again after the awaits: attachments may have come or gone meanwhile.
    for (const att of subscribers()) for (const page of pages.get(att.name) ?? []) att.connection.sendShared(page);
    channels++;
  }
  return channels;
}
