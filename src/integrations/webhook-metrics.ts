import { Counter } from 'prom-client';
import type { Metrics } from '../observability/metrics.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import type { Integrations } from './integrations.ts';

/**
 * Webhook series (issue 13, "bounded, with a metric"), labelled by webhook id, read at scrape time from the counts
 * the dispatcher and deliverers keep anyway (nothing is counted twice, nothing on the presence path):
 * delivered items, requests, failed requests (each one is retried), items expired past the retry horizon, items
 * dropped at the queue limit, and the queue depth.
 */
export function watchWebhooks(metrics: Metrics, integrations: Integrations, queue: DeliveryQueue): void {
  const deliverers = integrations.deliverers;
  if (deliverers.length === 0) return;
  const perWebhook = (name: string, help: string, read: (id: string) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['webhook'],
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const d of deliverers) this.inc({ webhook: d.target.id }, read(d.target.id));
      },
    });
  const statsOf = (id: string) => deliverers.find((d) => d.target.id === id)?.stats;
  perWebhook(
    'rollcall_webhook_items_delivered_total',
    'Webhook items delivered (2xx answer).',
    (id) => statsOf(id)?.delivered ?? 0,
  );
  perWebhook('rollcall_webhook_requests_total', 'Webhook requests sent.', (id) => statsOf(id)?.requests ?? 0);
  perWebhook(
    'rollcall_webhook_failed_requests_total',
    'Webhook requests that failed (non-2xx or network error); their items are retried with backoff.',
    (id) => statsOf(id)?.failures ?? 0,
  );
  perWebhook(
    'rollcall_webhook_items_expired_total',
    'Webhook items given up after webhookRetryHorizon without a successful delivery.',
    (id) => statsOf(id)?.expired ?? 0,
  );
  perWebhook(
    'rollcall_webhook_items_dropped_total',
    'Webhook items refused at webhookQueueLimit.',
    (id) => integrations.dispatcher.dropped.get(id) ?? 0,
  );
  metrics.gauge(
    'rollcall_webhook_queue_depth',
    'Webhook items waiting to be delivered (shared by every node in cluster mode).',
    async () => Object.fromEntries(await Promise.all(deliverers.map(async (d) => [d.target.id, await queue.size(d.target.id)]))),
    'webhook',
  );
}
