import type { AttachmentCounts } from '../occupancy/metrics.ts';

/** One node's counts on one channel. */
export interface NodeChannelCounts {
  /** Namespaced channel key (`appId:name`). */
  channel: string;
  counts: AttachmentCounts;
}

/**
 * Where each node's attachment counts per channel are shared, so any node can answer a channel's occupancy for the
 * whole cluster. Presence members are not here: the PresenceStore counts them. Writes are coalesced by the caller
 * (src/occupancy/occupancy-service.ts), so the hot path never waits on this store.
 */
export interface OccupancyStore {
  /** Replaces `nodeId`'s counts on each listed channel; zero connections removes the node's entry there. */
  write(nodeId: string, entries: NodeChannelCounts[]): Promise<void>;
  /** Sum of the counts of every node but `exceptNode` on the channel (zeros when there are none). */
  others(channel: string, exceptNode: string): Promise<AttachmentCounts>;
  /** Removes every count `nodeId` wrote (node reaped or leaving); returns the channels where it had counts. */
  removeNode(nodeId: string): Promise<string[]>;
  /** Every channel where some node has counts (so `GET /channels` lists the whole cluster's channels). */
  activeChannels(): Promise<string[]>;
}
