import { randomBytes } from 'node:crypto';
import type { WebhookSource } from '../config/index.ts';
import type { Clock } from '../time/clock.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import { type RetryPolicy, retrying } from './retry.ts';
import type { QueuedItem } from './webhook-item.ts';
import type { ItemBody } from './webhook-items.ts';
import { type WebhookTarget, wants } from './webhook-target.ts';

/**
 * Addresses items to the webhooks that want them and appends them to each webhook's queue. Appends are coalesced
 * per webhook (one queue write in flight, the items arriving meanwhile go together in the next), keep their order,
 * and are never awaited by the caller: a slow queue (or receiver) cannot slow presence down.
 */
export class WebhookDispatcher {
  /** Items refused at `webhookQueueLimit`, per webhook id. */
  readonly dropped = new Map<string, number>();
  private readonly pending = new Map<string, QueuedItem[]>();
  private readonly writing = new Set<string>();
  private readonly prefix = randomBytes(6).toString('base64url');
  private count = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly targets: WebhookTarget[],
    private readonly queue: DeliveryQueue,
    private readonly clock: Clock,
    private readonly queueLimit: number,
    private readonly log: (message: string) => void,
    /** Queue writes that fail (Redis unreachable) are retried before the items are given up as dropped. */
    private readonly retry: RetryPolicy = { base: 1000, max: 60_000, horizon: 30 * 60 * 1000 },
  ) {}

  /** Whether any webhook takes items of this source (so callers can skip building them). */
  wantsSource(source: WebhookSource): boolean {
    return this.targets.some((t) => t.sources.has(source));
  }

  offer(channelKey: string, body: ItemBody): void {
    for (const target of this.targets) {
      if (!wants(target, body.source, channelKey)) continue;
      const entry: QueuedItem = {
        item: { webhookId: target.id, id: `${this.prefix}-${this.count++}`, ...body },
        queuedAt: this.clock.now(),
      };
      let list = this.pending.get(target.id);
      if (!list) this.pending.set(target.id, (list = []));
      list.push(entry);
      this.write(target.id);
    }
  }

  /** Resolves once every offered item has been written to its queue (tests, shutdown). */
  idle(): Promise<void> {
    if (this.writing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private write(webhookId: string): void {
    if (this.writing.has(webhookId)) return;
    const entries = this.pending.get(webhookId);
    if (!entries || entries.length === 0) return;
    this.pending.delete(webhookId);
    this.writing.add(webhookId);
    // A retried push may append twice if Redis applied it but the answer was lost: at least once, as delivery is.
    retrying(this.clock, this.retry, () => this.queue.push(webhookId, entries, this.queueLimit))
      .then(
        (refused) => this.refused(webhookId, refused),
        (err) => {
          // The queue stayed unreachable for the whole retry horizon: these items are lost, and said so.
          this.refused(webhookId, entries.length);
          this.log(`webhook ${webhookId}: could not queue ${entries.length} item(s): ${(err as Error).message}`);
        },
      )
      .finally(() => {
        this.writing.delete(webhookId);
        this.write(webhookId);
        if (this.writing.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  private refused(webhookId: string, n: number): void {
    if (n === 0) return;
    this.dropped.set(webhookId, (this.dropped.get(webhookId) ?? 0) + n);
    this.log(`webhook ${webhookId}: queue full (limit ${this.queueLimit}); dropped ${n} item(s)`);
  }
}
