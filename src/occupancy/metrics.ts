import { Flag } from '../protocol/index.ts';

/** What one node's attachments contribute to a channel's occupancy (presence members are counted apart). */
export interface AttachmentCounts {
  /** Realtime connections attached to the channel. */
  connections: number;
  /** Attachments granted PUBLISH. */
  publishers: number;
  /** Attachments granted SUBSCRIBE. */
  subscribers: number;
  /** Attachments granted PRESENCE (may enter), whether or not they have entered. */
  presenceConnections: number;
  /** Attachments granted PRESENCE_SUBSCRIBE. */
  presenceSubscribers: number;
}

/** Ably's ChannelMetrics: the `occupancy.metrics` of `channel.status()` and the data of `[meta]occupancy`. */
export interface ChannelMetrics extends AttachmentCounts {
  /** Members of the presence set. */
  presenceMembers: number;
}

export const NO_ATTACHMENTS: Readonly<AttachmentCounts> = Object.freeze({
  connections: 0,
  publishers: 0,
  subscribers: 0,
  presenceConnections: 0,
  presenceSubscribers: 0,
});

/** Attachment counts from the granted modes of each attachment (one per attached connection). Pure. */
export function countAttachments(attachmentModes: Iterable<number>): AttachmentCounts {
  const c: AttachmentCounts = { ...NO_ATTACHMENTS };
  for (const modes of attachmentModes) {
    c.connections++;
    if (modes & Flag.PUBLISH) c.publishers++;
    if (modes & Flag.SUBSCRIBE) c.subscribers++;
    if (modes & Flag.PRESENCE) c.presenceConnections++;
    if (modes & Flag.PRESENCE_SUBSCRIBE) c.presenceSubscribers++;
  }
  return c;
}

/** The sum of several nodes' counts. */
export function addCounts(a: AttachmentCounts, b: AttachmentCounts): AttachmentCounts {
  return {
    connections: a.connections + b.connections,
    publishers: a.publishers + b.publishers,
    subscribers: a.subscribers + b.subscribers,
    presenceConnections: a.presenceConnections + b.presenceConnections,
    presenceSubscribers: a.presenceSubscribers + b.presenceSubscribers,
  };
}

/** A channel's metrics from its attachments (all nodes) and the presence set's size, in Ably's field order. */
export function channelMetrics(counts: AttachmentCounts, presenceMembers: number): ChannelMetrics {
  return {
    connections: counts.connections,
    publishers: counts.publishers,
    subscribers: counts.subscribers,
    presenceConnections: counts.presenceConnections,
    presenceMembers,
    presenceSubscribers: counts.presenceSubscribers,
  };
}

/** Occupancy from attachment modes and the presence set's size (single node). Pure. */
export function occupancyMetrics(attachmentModes: Iterable<number>, presenceMembers: number): ChannelMetrics {
  return channelMetrics(countAttachments(attachmentModes), presenceMembers);
}

/** Compact, comparable form of counts (`c,p,s,pc,ps`): what a node stores, and how changes are detected. */
export function encodeCounts(c: AttachmentCounts): string {
  return `${c.connections},${c.publishers},${c.subscribers},${c.presenceConnections},${c.presenceSubscribers}`;
}

/** Reads {@link encodeCounts}' form; anything malformed counts as nothing (a newer node's format, say). */
export function decodeCounts(s: string): AttachmentCounts {
  const n = s.split(',').map(Number);
  if (n.length !== 5 || !n.every((x) => Number.isSafeInteger(x) && x >= 0)) return { ...NO_ATTACHMENTS };
  const [connections, publishers, subscribers, presenceConnections, presenceSubscribers] = n as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { connections, publishers, subscribers, presenceConnections, presenceSubscribers };
}

export const isEmptyCounts = (c: AttachmentCounts): boolean => c.connections === 0;
