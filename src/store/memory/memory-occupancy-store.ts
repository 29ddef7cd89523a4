import { type AttachmentCounts, addCounts, isEmptyCounts, NO_ATTACHMENTS } from '../../occupancy/metrics.ts';
import type { NodeChannelCounts, OccupancyStore } from '../occupancy-store.ts';

/** In-process occupancy counts. Memory: single process only (nodes sharing it must share the object). */
export class MemoryOccupancyStore implements OccupancyStore {
  /** channel → nodeId → counts. */
  private readonly byChannel = new Map<string, Map<string, AttachmentCounts>>();

  async write(nodeId: string, entries: NodeChannelCounts[]): Promise<void> {
    for (const { channel, counts } of entries) {
      let nodes = this.byChannel.get(channel);
      if (isEmptyCounts(counts)) {
        nodes?.delete(nodeId);
        if (nodes?.size === 0) this.byChannel.delete(channel);
        continue;
      }
      if (!nodes) this.byChannel.set(channel, (nodes = new Map()));
      nodes.set(nodeId, { ...counts });
    }
  }

  async others(channel: string, exceptNode: string): Promise<AttachmentCounts> {
    let sum: AttachmentCounts = NO_ATTACHMENTS;
    for (const [nodeId, counts] of this.byChannel.get(channel) ?? []) if (nodeId !== exceptNode) sum = addCounts(sum, counts);
    return { ...sum };
  }

  async removeNode(nodeId: string): Promise<string[]> {
    const channels: string[] = [];
    for (const [channel, nodes] of this.byChannel) {
      if (!nodes.delete(nodeId)) continue;
      channels.push(channel);
      if (nodes.size === 0) this.byChannel.delete(channel);
    }
    return channels;
  }

  async activeChannels(): Promise<string[]> {
    return [...this.byChannel.keys()];
  }
}
