import type { Node } from '../node/node.ts';
import { Flag } from '../protocol/index.ts';

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
    const members = await node.presence.store.members(key);
    // Read again after the await: attachments may have come or gone meanwhile.
    for (const att of subscribers()) {
      for (const page of node.presence.syncPages(att.name, members, node.config.syncPageSize)) att.connection.send(page);
    }
    channels++;
  }
  return channels;
}
