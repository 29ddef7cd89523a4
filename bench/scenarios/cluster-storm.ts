import type { ServerOptions } from '../../src/server/create-server.ts';
import { BENCH_KEY, type BenchContext, type Row, split } from '../context.ts';
import { REDIS_KINDS, REDIS_LABEL, type RedisKind, startRedisOfKind } from '../redis-kinds.ts';
import { fmtMs, fmtRate } from '../stats.ts';
import { register } from './registry.ts';
import { storm } from './storm.ts';

const CHANNEL = 'xstorm';

/**
 * One storm of `clients` over `nodes` Rollcall processes sharing one Redis. Load worker i talks to node i % nodes,
 * so clients are spread round-robin over the nodes (max(2, nodes) workers, as in cluster-fanout) and with more
 * than one node most member-events reach a client through Redis.
 */
async function clusterStorm(ctx: BenchContext, redisUrl: string, nodes: number, clients: number) {
  try {
    // A fresh prefix per run: presence left in Redis by an earlier run in this process must not count.
    const options: ServerOptions = { redisUrl, redisPrefix: `xstorm${nodes}-${clients}:` };
    // Nodes and workers start together: process start-up (tsx) is most of this scenario's wall time.
    const [servers, workers] = await Promise.all([
      Promise.all(Array.from({ length: nodes }, () => ctx.startServer(options))),
      ctx.startWorkers(Math.max(2, nodes)),
    ]);
    const ports = servers.map((s) => s.port);
    const counts = split(clients, workers.length);
    await Promise.all(
      workers.map((w, i) =>
        w.request('open', {
          port: ports[i % nodes],
          key: BENCH_KEY,
          format: ctx.options.format,
          prefix: `x${i}-`,
          count: counts[i],
          raw: false,
          channel: CHANNEL,
        }),
      ),
    );
    return await storm(workers, counts, clients, CHANNEL);
  } finally {
    await ctx.stopAll();
  }
}

/** 1-node storm time by Redis kind and client count, kept across sizes so the 2- and 3-node rows can give a ratio. */
const baseline = new Map<string, number>();

/** The same storm on one in-memory node (no Redis), the one-node run the cluster is measured against. */
async function memoryStorm(ctx: BenchContext, clients: number): Promise<number> {
  try {
    const [server, workers] = await Promise.all([ctx.startServer(), ctx.startWorkers(2)]);
    const counts = split(clients, workers.length);
    await Promise.all(
      workers.map((w, i) =>
        w.request('open', {
          port: server.port,
          key: BENCH_KEY,
          format: ctx.options.format,
          prefix: `m${i}-`,
          count: counts[i],
          raw: false,
          channel: CHANNEL,
        }),
      ),
    );
    return (await storm(workers, counts, clients, CHANNEL)).ms;
  } finally {
    await ctx.stopAll();
  }
}

/**
 * 8. Cross-node presence storm (issue 8): N clients on one channel spread over 1, 2 or 3 nodes (Redis mode), all
 * entering at once; time until every client holds all N members and member-events/s (N² events), against the same
 * storm on one node. Each size runs on one Redis and on a 3-master Redis Cluster (issue 16) in the same run, and
 * compares the two. N stays modest: every node, the load workers and Redis share this machine.
 */
register({
  name: 'cluster-storm',
  title: '8 cross-node presence storm (Redis)',
  sizes: { quick: [3], full: [1, 2, 3] },
  async run(ctx, n) {
    const clients = ctx.options.clients ?? (ctx.options.quick ? 100 : 500);
    const rows: Row[] = [];
    const byKind = new Map<RedisKind, number>();
    for (const kind of REDIS_KINDS) {
      const stops: Array<() => unknown> = [];
      try {
        const url = await startRedisOfKind(kind, stops);
        const key = `${kind}:${clients}`;
        // `--sizes 3` skips the 1-node size, so the baseline is measured here when missing; quick mode goes without
        // it (and without the ratio) to stay within its minute.
        if (n === 1 || (!baseline.has(key) && !ctx.options.quick)) {
          baseline.set(key, (await clusterStorm(ctx, url, 1, clients)).ms);
        }
        const base = baseline.get(key);
        const ms = n === 1 && base !== undefined ? base : (await clusterStorm(ctx, url, n, clients)).ms;
        byKind.set(kind, ms);
        const events = clients * clients;
        const vs1 =
          n === 1 || base === undefined ? '' : `; 1 node ${fmtMs(base)}, ${n}-node/1-node rate = ${(base / ms).toFixed(2)}`;
        const single = byKind.get('single');
        const vsSingle =
          kind === 'cluster' && single !== undefined ? `; Redis Cluster/one Redis rate = ${(single / ms).toFixed(2)}` : '';
        rows.push({
          scenario: `8 cross-node presence storm (${REDIS_LABEL[kind]})`,
          size: `${n} node${n > 1 ? 's' : ''}, N=${clients}`,
          result: `${fmtMs(ms)}, ${fmtRate((events * 1000) / ms)} member-events${vs1}${vsSingle}`,
        });
      } finally {
        for (const stop of stops) await stop();
      }
    }
    // At one node, also the storm on one in-memory node: what Redis costs a node (`--clients 2000`: issue 16).
    if (n === 1) {
      const memory = await memoryStorm(ctx, clients);
      const single = byKind.get('single');
      rows.unshift({
        scenario: '8 cross-node presence storm (memory)',
        size: `1 node, N=${clients}`,
        result: `${fmtMs(memory)}, ${fmtRate((clients * clients * 1000) / memory)} member-events${single === undefined ? '' : `; one Redis/memory rate = ${(memory / single).toFixed(2)}`}`,
      });
    }
    return rows;
  },
});
