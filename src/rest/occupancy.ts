import { Flag } from '../protocol/index.ts';

/** Ably's ChannelMetrics (the `occupancy.metrics` of `channel.status()`). */
export interface ChannelMetrics {
  /** Realtime connections attached to the channel. */
  connections: number;
  /** Attachments granted PUBLISH. */
  publishers: number;
  /** Attachments granted SUBSCRIBE. */
  subscribers: number;
  /** Attachments granted PRESENCE (may enter), whether or not they have entered. */
  presenceConnections: number;
  /** Members of the presence set. */
  presenceMembers: number;
  /** Attachments granted PRESENCE_SUBSCRIBE. */
  presenceSubscribers: number;
}

/**
 * Occupancy from the granted modes of each attachment (one per attached connection) and the presence set's size.
 * Pure: the caller decides which attachments count.
 */
export function occupancyMetrics(attachmentModes: Iterable<number>, presenceMembers: number): ChannelMetrics {
  const m: ChannelMetrics = {
    connections: 0,
    publishers: 0,
    subscribers: 0,
    presenceConnections: 0,
    presenceMembers,
    presenceSubscribers: 0,
  };
  for (const modes of attachmentModes) {
    m.connections++;
    if (modes & Flag.PUBLISH) m.publishers++;
    if (modes & Flag.SUBSCRIBE) m.subscribers++;
    if (modes & Flag.PRESENCE) m.presenceConnections++;
    if (modes & Flag.PRESENCE_SUBSCRIBE) m.presenceSubscribers++;
  }
  return m;
}
