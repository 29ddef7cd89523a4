import type { QueuedItem } from './webhook-item.ts';

/**
 * Pending deliveries, one FIFO per webhook (in the order pushed, hence in order per channel), plus a lease so only
 * one deliverer at a time sends a webhook's items. Memory: one process. Redis: shared by every node and durable
 * across the death of the node delivering (its lease lapses and another node continues from the same head).
 */
export interface DeliveryQueue {
  /** Appends in order. Items beyond `limit` queued are refused; resolves with how many were refused. */
  push(webhookId: string, entries: QueuedItem[], limit: number): Promise<number>;
  /** The oldest `max` entries, left in place until {@link DeliveryQueue.remove}. */
  peek(webhookId: string, max: number): Promise<QueuedItem[]>;
  /** Removes the oldest `count` entries if `owner` still holds the lease; resolves false (nothing removed) if not. */
  remove(webhookId: string, count: number, owner: string): Promise<boolean>;
  /** Number of queued entries. */
  size(webhookId: string): Promise<number>;
  /** Takes or renews the lease for `ttl` ms; true when `owner` holds it afterwards. */
  claim(webhookId: string, owner: string, ttl: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it (shutdown), so another deliverer need not wait for it to lapse. */
  release(webhookId: string, owner: string): Promise<void>;
}
