import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchContext } from '../context.ts';
import { wallNow } from '../light-client.ts';
import { fmtMs, fmtRate, withTimeout } from '../stats.ts';
import { register } from './registry.ts';
import { openAll, storm } from './storm.ts';

/** A local webhook receiver in the bench process: counts enveloped items and resolves when `expect` have arrived. */
async function receiver() {
  let items = 0;
  let requests = 0;
  let lastAt = 0;
  let waiter: { n: number; resolve: () => void } | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      requests++;
      items += (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items: unknown[] }).items.length;
      lastAt = wallNow();
      if (waiter && items >= waiter.n) waiter.resolve();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    stats: () => ({ items, requests, lastAt }),
    until: (n: number) => (items >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { n, resolve }))),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** One storm of `n` on a fresh server; with `hookUrl`, every presence event and client.online goes to the webhook. */
async function stormOnce(ctx: BenchContext, n: number, hookUrl?: string) {
  const channel = 'hooked';
  const server = await ctx.startServer(
    hookUrl
      ? { webhooks: [{ url: hookUrl, sources: ['channel.presence', 'client.presence'] }], webhookBatchWindow: 100 }
      : { clientTransitions: false },
  );
  const workers = await ctx.startWorkers(2);
  const counts = await openAll(workers, n, server.port, ctx, false, channel);
  const m = await ctx.mark(server.child, workers);
  const t0 = wallNow();
  const result = await storm(workers, counts, n, channel);
  const use = await ctx.since(m, server.child, workers);
  return { ...result, t0, use };
}

/**
 * 7. Webhooks: the presence storm with webhooks off (and client transitions off) and on (channel.presence and
 * client.presence to a local receiver: 2N items), in the same run; the ratio is the cost webhooks add to presence,
 * and items/s is delivery throughput from the first enter to the last item received.
 */
register({
  name: 'webhooks',
  title: '7 webhooks',
  sizes: { quick: [250], full: [500, 1000] },
  async run(ctx, n) {
    const off = await stormOnce(ctx, n);
    await ctx.stopAll();
    const hook = await receiver();
    try {
      const on = await stormOnce(ctx, n, hook.url);
      await withTimeout(hook.until(2 * n), 120_000, `${2 * n} webhook items`);
      const { items, requests, lastAt } = hook.stats();
      const deliveredMs = lastAt - on.t0;
      return [
        {
          scenario: '7 storm, webhooks off',
          size: `N=${n}`,
          result: fmtMs(off.ms),
          server: off.use.server,
          load: off.use.load,
        },
        {
          scenario: '7 storm, webhooks on',
          size: `N=${n}`,
          result: `${fmtMs(on.ms)}; on/off = ${(on.ms / off.ms).toFixed(2)}; ${items} items in ${requests} requests, all delivered after ${fmtMs(deliveredMs)} (${fmtRate((items * 1000) / deliveredMs)} items)`,
          server: on.use.server,
          load: on.use.load,
        },
      ];
    } finally {
      hook.close();
    }
  },
});

/**
 * 8. Webhook drain: K items already queued (memory queue), one deliverer sending them to a local receiver in
 * batches of webhookBatchMaxItems (100); items/s is the deliverer's own throughput (signing on).
 */
register({
  name: 'webhook-drain',
  title: '8 webhook drain',
  sizes: { quick: [5000], full: [20000, 100000] },
  async run(_ctx, k) {
    const { MemoryDeliveryQueue } = await import('../../src/integrations/memory-delivery-queue.ts');
    const { WebhookDeliverer } = await import('../../src/integrations/webhook-deliverer.ts');
    const { postHttp } = await import('../../src/integrations/http-post.ts');
    const { webhookTargets } = await import('../../src/integrations/webhook-target.ts');
    const { resolveConfig } = await import('../../src/config/index.ts');
    const { systemClock } = await import('../../src/time/clock.ts');
    const hook = await receiver();
    try {
      const config = resolveConfig({
        keys: [{ key: 'bench.key1:bench-secret' }],
        webhooks: [{ url: hook.url, sources: ['channel.message'], signWithKey: 'bench.key1' }],
      });
      const [target] = webhookTargets(config);
      if (!target) throw new Error('no webhook target');
      const queue = new MemoryDeliveryQueue(systemClock);
      const now = systemClock.now();
      const entries = Array.from({ length: k }, (_, i) => ({
        item: {
          webhookId: target.id,
          source: 'channel.message' as const,
          id: `bench-${i}`,
          serial: `e-${i}`,
          timestamp: now,
          name: 'channel.message',
          data: {
            channelId: `room-${i % 50}`,
            site: 'local',
            messages: [{ id: `m-${i}`, name: 'n', data: `payload ${i}`.padEnd(100, '.') }],
          },
        },
        queuedAt: now - config.webhookBatchWindow,
      }));
      await queue.push(target.id, entries, k);
      const options = {
        batchWindow: config.webhookBatchWindow,
        maxItems: config.webhookBatchMaxItems,
        backoffBase: config.webhookBackoffBase,
        backoffMax: config.webhookBackoffMax,
        retryHorizon: config.webhookRetryHorizon,
        leaseTtl: config.webhookLeaseTtl,
        requestTimeout: config.webhookRequestTimeout,
      };
      const deliverer = new WebhookDeliverer(target, queue, systemClock, options, 'bench', postHttp, () => {});
      const t0 = wallNow();
      deliverer.start();
      await withTimeout(hook.until(k), 300_000, `${k} items drained`);
      const ms = wallNow() - t0;
      await deliverer.stop();
      const { requests } = hook.stats();
      return [
        {
          scenario: '8 webhook drain (signed)',
          size: `K=${k}`,
          result: `${fmtMs(ms)}, ${fmtRate((k * 1000) / ms)} items in ${requests} requests`,
        },
      ];
    } finally {
      hook.close();
    }
  },
});
