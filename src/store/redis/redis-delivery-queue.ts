import type { DeliveryQueue } from '../../integrations/delivery-queue.ts';
import type { QueuedItem } from '../../integrations/webhook-item.ts';
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisClient } from './redis-client.ts';

const pushScript = new LuaScript('webhook-push');
const claimScript = new LuaScript('webhook-claim');
const removeScript = new LuaScript('webhook-remove');
const releaseScript = new LuaScript('webhook-release');

/**
 * Webhook queues in Redis: one LIST of JSON entries per webhook plus a lease key (same hash slot), so pending
 * deliveries outlive the node that queued them and exactly one node at a time (the lease holder) sends and trims.
 * Cannot: queue while Redis is unreachable (push fails; the dispatcher logs the items as dropped).
 */
export class RedisDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async push(webhookId: string, entries: QueuedItem[], limit: number): Promise<number> {
    if (entries.length === 0) return 0;
    const args = [limit, ...entries.map((e) => JSON.stringify(e))];
    return Number(await guard(pushScript.run(this.redis, [this.keys.webhookQueue(webhookId)], args)));
  }

  async peek(webhookId: string, max: number): Promise<QueuedItem[]> {
    const raw = await guard(this.redis.lrange(this.keys.webhookQueue(webhookId), 0, max - 1));
    return raw.map((s) => JSON.parse(s) as QueuedItem);
  }

  async remove(webhookId: string, count: number, owner: string): Promise<boolean> {
    const keys = [this.keys.webhookQueue(webhookId), this.keys.webhookLease(webhookId)];
    return Number(await guard(removeScript.run(this.redis, keys, [owner, count]))) === 1;
  }

  async size(webhookId: string): Promise<number> {
    return guard(this.redis.llen(this.keys.webhookQueue(webhookId)));
  }

  async claim(webhookId: string, owner: string, ttl: number): Promise<boolean> {
    return Number(await guard(claimScript.run(this.redis, [this.keys.webhookLease(webhookId)], [owner, Math.ceil(ttl)]))) === 1;
  }

  async release(webhookId: string, owner: string): Promise<void> {
    await guard(releaseScript.run(this.redis, [this.keys.webhookLease(webhookId)], [owner]));
  }
}
