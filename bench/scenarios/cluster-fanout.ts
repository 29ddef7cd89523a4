import type { ServerOptions } from '../../src/server/create-server.ts';
import { startRedis } from '../../test/helpers/redis.ts';
import type { Child } from '../child.ts';
import { BENCH_KEY, split } from '../context.ts';
import { fmtMs, fmtRate, percentile, withTimeout } from '../stats.ts';
import { register } from './registry.ts';

const K = 100;
const SIZE = 100;

/**
 * 7. Cross-node fan-out (issue 8): N Rollcall processes over one Redis, K subscribers spread over the nodes, one
 * publisher on node 0. Measures throughput (windowed) and latency at a paced rate, publisher to subscribers on
 * every node, so with N > 1 most deliveries cross Redis pub/sub. N = 1 is the same path on one node (Redis mode).
 */
register({
  name: 'cluster-fanout',
  title: '7 cross-node fan-out (Redis)',
  sizes: { quick: [1, 3], full: [1, 2, 3] },
  async run(ctx, n) {
    const stops: Array<() => unknown> = [];
    const redis = await startRedis({ after: (fn) => stops.push(fn) });
    try {
      const options: ServerOptions = { redisUrl: redis.url, redisPrefix: `bench${n}:` };
      const nodes: Array<{ port: number }> = [];
      for (let i = 0; i < n; i++) nodes.push(await ctx.startServer(options));
      const workers = await ctx.startWorkers(Math.max(2, n));
      const counts = split(K, workers.length);
      await Promise.all(
        workers.map((w, i) =>
          w.request('open', {
            port: (nodes[i % n] as { port: number }).port,
            key: BENCH_KEY,
            format: ctx.options.format,
            prefix: `x${i}-`,
            count: counts[i],
            raw: false,
            channel: 'xfan',
          }),
        ),
      );
      const phase = async (count: number, rate: number) => {
        await Promise.all(workers.map((w) => w.request('listen', { sampleEvery: 1 })));
        const published = (workers[0] as Child).request<{ t0: number }>('publish', {
          channel: 'xfan',
          count,
          size: SIZE,
          window: 16,
          rate,
        });
        const done = await withTimeout(
          Promise.all(
            workers.map((w, i) =>
              w.request<{ doneAt: number; latencies: number[] }>('waitReceived', { expect: (counts[i] as number) * count }),
            ),
          ),
          180_000,
          `cross-node fan-out over ${n} nodes`,
        );
        const { t0 } = await published;
        return { ms: Math.max(...done.map((d) => d.doneAt)) - t0, latencies: done.flatMap((d) => d.latencies) };
      };
      const count = ctx.options.quick ? 300 : 1000;
      const throughput = await phase(count, 0);
      const latency = await phase(ctx.options.quick ? 200 : 600, 200);
      return [
        {
          scenario: '7 cross-node fan-out (Redis)',
          size: `${n} node${n > 1 ? 's' : ''}, K=${K}`,
          result: `${fmtRate((count * K * 1000) / throughput.ms)} delivered; at 200/s: p50 ${fmtMs(
            percentile(latency.latencies, 50),
          )}, p99 ${fmtMs(percentile(latency.latencies, 99))}`,
        },
      ];
    } finally {
      await ctx.stopAll();
      for (const stop of stops) await stop();
    }
  },
});
