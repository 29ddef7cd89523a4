import { allows, type Capability } from '../auth/capability.ts';
import type { Node } from '../node/node.ts';

/** One row of the dashboard's channel list. */
export interface ChannelRow {
  name: string;
  /** Live connections attached here (a connection waiting to resume is not counted, as in `channel.status()`). */
  connections: number;
  /** Members of the presence set, including those in their grace period. */
  members: number;
  /** Distinct clientIds among the members (one user on two devices is one user, two members). */
  users: number;
}

/**
 * The active channels of `appId` across the cluster (this node's, and those other nodes have attachments on, as
 * `GET /channels` lists them), unfiltered by capability: the caller filters per viewer with {@link visibleTo}.
 * Connections are counted as `channel.status()` counts them; reads the presence store once per channel.
 */
export async function channelRows(node: Node, appId: string): Promise<ChannelRow[]> {
  const prefix = `${appId}:`;
  const keys = new Set([...node.channels.channels(), ...(await node.occupancy.activeChannels())]);
  const rows: ChannelRow[] = [];
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const [counts, members] = await Promise.all([node.occupancy.attachmentCounts(key), node.presence.store.members(key)]);
    const users = new Set(members.map((m) => m.clientId)).size;
    rows.push({ name: key.slice(prefix.length), connections: counts.connections, members: members.length, users });
  }
  return rows;
}

/** Whether a viewer may see a channel in the list: the same rule as `GET /channels` (`channel-metadata`). */
export const visibleTo = (capability: Capability, name: string): boolean => allows(capability, name, 'channel-metadata');
