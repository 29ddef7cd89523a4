import type { Clock } from '../time/clock.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import type { QueuedItem } from './webhook-item.ts';

/** Deliveries held in this process. Single node only, and lost when it stops. */
export class MemoryDeliveryQueue implements DeliveryQueue {
  private readonly queues = new Map<string, QueuedItem[]>();
  private readonly leases = new Map<string, { owner: string; until: number }>();

  constructor(private readonly clock: Clock) {}

  async push(webhookId: string, entries: QueuedItem[], limit: number): Promise<number> {
    let q = this.queues.get(webhookId);
    if (!q) this.queues.set(webhookId, (q = []));
    const room = Math.max(0, limit - q.length);
    for (const e of entries.slice(0, room)) q.push(e);
    return Math.max(0, entries.length - room);
  }

  async peek(webhookId: string, max: number): Promise<QueuedItem[]> {
    return (this.queues.get(webhookId) ?? []).slice(0, max);
  }

  async remove(webhookId: string, count: number, owner: string): Promise<boolean> {
    if (!this.holds(webhookId, owner)) return false;
    this.queues.get(webhookId)?.splice(0, count);
    return true;
  }

  async size(webhookId: string): Promise<number> {
    return this.queues.get(webhookId)?.length ?? 0;
  }

  async claim(webhookId: string, owner: string, ttl: number): Promise<boolean> {
    const lease = this.leases.get(webhookId);
    if (lease && lease.owner !== owner && lease.until > this.clock.now()) return false;
    this.leases.set(webhookId, { owner, until: this.clock.now() + ttl });
    return true;
  }

  async release(webhookId: string, owner: string): Promise<void> {
    if (this.leases.get(webhookId)?.owner === owner) this.leases.delete(webhookId);
  }

  private holds(webhookId: string, owner: string): boolean {
    const lease = this.leases.get(webhookId);
    return lease !== undefined && lease.owner === owner && lease.until > this.clock.now();
  }
}
