import type { WebhookSource } from '../config/index.ts';

/**
 * One item of an enveloped Ably webhook request (`{items: [...]}`). `id` is Rollcall's addition: stable across
 * retries and nodes, so a receiver can drop an item it has already seen (delivery is at least once).
 */
export interface WebhookItem {
  webhookId: string;
  source: WebhookSource;
  id: string;
  /** The channel event's serial (`<epoch>-<seq>`) for channel.message and channel.presence. */
  serial?: string;
  timestamp: number;
  name: string;
  data: Record<string, unknown>;
}

/** An item waiting in a webhook's queue, with when it was queued (it is dropped once the retry horizon passes). */
export interface QueuedItem {
  item: WebhookItem;
  queuedAt: number;
}
