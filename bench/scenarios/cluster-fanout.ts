import type { ServerOptions } from '../../src/server/create-server.ts';
import type { Child } from '../child.ts';
import { BENCH_KEY, type BenchContext, type Row, split } from '../context.ts';
import { REDIS_KINDS, REDIS_LABEL, type RedisKind, startRedisOfKind } from '../redis-kinds.ts';
import { fmtMs, fmtRate, percentile, withTimeout } from '../stats.ts';
import { register } from './registry.ts';

const K = 100;
const SIZE = 100;

/**
 * 7. Cross-node fan-out (issue 8): N Rollcall processes over one Redis, K subscribers spread over the nodes, one
 * publisher on node 0. Measures throughput (windowed) and latency at a paced rate, publisher to subscribers on
 * every node, so with N > 1 most deliveries cross Redis pub/sub. N = 1 is the same path on one node (Redis mode).
 * Each size runs on one Redis and on a 3-master Redis Cluster (issue 16) in the same run; the channel lives on one
 * shard, so the Cluster row shows what routing through a Cluster costs, not sharding gains.
 */
register({
  name: 'cluster-fanout',
  title: '7 cross-node fan-out (Redis)',
  sizes: { quick: [1, 3], full: [1, 2, 3] },
  async run(ctx, n) {
    const rows: Row[] = [];
    const rates = new Map<RedisKind, number>();
    for (const kind of REDIS_KINDS) {
      const row = await fanout(ctx, n, kind);
      rates.set(kind, row.rate);
      const single = rates.get('single');
      const vs = kind === 'cluster' && single ? `; Redis Cluster/one Redis = ${(row.rate / single).toFixed(2)}` : '';
      rows.push({ ...row.row, result: row.row.result + vs });
    }
    return rows;
  },
});

/** One fan-out run over `n` nodes on a fresh deployment of `kind`. */
async function fanout(ctx: BenchContext, n: number, kind: RedisKind): Promise<{ row: Row; rate: number }> {
  const stops: Array<() => unknown> = [];
  try {
    const url = await startRedisOfKind(kind, stops);
    const options: ServerOptions = { redisUrl: url, redisPrefix: `bench${n}:` };
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
    const rate = (count * K * 1000) / throughput.ms;
    return {
      rate,
      row: {
        scenario: `7 cross-node fan-out (${REDIS_LABEL[kind]})`,
        size: `${n} node${n > 1 ? 's' : ''}, K=${K}`,
        result: `${fmtRate(rate)} delivered; at 200/s: p50 ${fmtMs(percentile(latency.latencies, 50))}, p99 ${fmtMs(
          percentile(latency.latencies, 99),
        )}`,
      },
    };
  } finally {
    await ctx.stopAll();
    for (const stop of stops) await stop();
  }
}
