import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../time/clock.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import type { PostFn } from './http-post.ts';
import { orderBySerial } from './serial-order.ts';
import { buildRequest, itemsPerRequest } from './webhook-request.ts';
import type { WebhookTarget } from './webhook-target.ts';

export interface DelivererOptions {
  batchWindow: number;
  maxItems: number;
  backoffBase: number;
  backoffMax: number;
  retryHorizon: number;
  leaseTtl: number;
  requestTimeout: number;
}

/** What a deliverer has done (for metrics and tests). */
export interface DeliveryStats {
  delivered: number;
  requests: number;
  failures: number;
  /** Items dropped after the retry horizon passed without a successful delivery. */
  expired: number;
}

/**
 * Sends one webhook's queued items, from the head of its queue, while holding the queue's lease (so one node at a
 * time in a cluster). A batch goes when it is full or its oldest item has waited `batchWindow`. A non-2xx answer or a
 * network error leaves the batch at the head and retries it after an exponential backoff (base × 2^n, capped), so
 * items are delivered at least once and in queue order; items older than `retryHorizon` are dropped with a log line.
 * Runs on the injected Clock; nothing here blocks presence.
 */
export class WebhookDeliverer {
  readonly stats: DeliveryStats = { delivered: 0, requests: 0, failures: 0, expired: 0 };
  /** `pass` (delay until the next one, ms) after each look at the queue: lets tests drive a manual clock. */
  readonly events = new EventEmitter();
  private timer: TimerHandle | undefined;
  private stopped = false;
  private consecutiveFailures = 0;
  private lastFailure = '';
  private running: Promise<void> = Promise.resolve();

  constructor(
    readonly target: WebhookTarget,
    private readonly queue: DeliveryQueue,
    private readonly clock: Clock,
    private readonly options: DelivererOptions,
    /** This deliverer's lease owner name (the node id). */
    private readonly owner: string,
    private readonly post: PostFn,
    private readonly log: (message: string) => void,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Stops sending and gives the lease up once the request in flight (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    await this.running;
    await this.queue.release(this.target.id, this.owner).catch(() => {});
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass()
        .catch((err) => {
          this.log(`webhook ${this.target.id}: ${(err as Error).message}`);
          return this.backoff();
        })
        .then((next) => {
          this.schedule(next);
          this.events.emit('pass', next);
        });
    }, ms);
  }

  /** One look at the queue; resolves with the delay until the next one. */
  private async pass(): Promise<number> {
    const { queue, target, options, owner } = this;
    if (!(await queue.claim(target.id, owner, options.leaseTtl))) return options.batchWindow;
    const entries = await queue.peek(target.id, itemsPerRequest(target, options.maxItems));
    if (entries.length === 0) return options.batchWindow;
    const now = this.clock.now();
    const expired = entries.findIndex((e) => e.queuedAt >= now - options.retryHorizon);
    const stale = expired === -1 ? entries.length : expired;
    if (stale > 0) {
      if (await queue.remove(target.id, stale, owner)) {
        this.stats.expired += stale;
        this.log(`webhook ${target.id}: dropped ${stale} item(s) undelivered after ${options.retryHorizon} ms`);
      }
      return 0;
    }
    const age = now - (entries[0]?.queuedAt ?? now);
    if (entries.length < itemsPerRequest(target, options.maxItems) && age < options.batchWindow) {
      return options.batchWindow - age;
    }
    const request = buildRequest(target, orderBySerial(entries.map((e) => e.item)));
    this.stats.requests++;
    let status: number;
    try {
      status = await this.post(target.url, request.body, request.headers, options.requestTimeout);
    } catch (err) {
      return this.failed(`request failed: ${(err as Error).message}`);
    }
    if (status < 200 || status >= 300) return this.failed(`answered ${status}`);
    this.consecutiveFailures = 0;
    // Lost the lease meanwhile (a long pause): another node may resend these; at least once still holds.
    if (await queue.remove(target.id, entries.length, owner)) this.stats.delivered += entries.length;
    return 0;
  }

  private failed(why: string): number {
    this.stats.failures++;
    this.consecutiveFailures++;
    const delay = this.backoff();
    // A long outage at the backoff cap logs every tenth retry, plus whenever the kind of failure changes.
    const kind = why.replace(/\d+ ms/g, '');
    if (delay < this.options.backoffMax || this.consecutiveFailures % 10 === 1 || kind !== this.lastFailure) {
      this.log(`webhook ${this.target.id} (${this.target.url.host}): ${why}; retrying in ${delay} ms`);
    }
    this.lastFailure = kind;
    return delay;
  }

  private backoff(): number {
    const n = Math.max(0, this.consecutiveFailures - 1);
    return Math.min(this.options.backoffMax, this.options.backoffBase * 2 ** Math.min(n, 30));
  }
}
