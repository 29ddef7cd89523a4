import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as Ably from 'ably';
import { Redis } from 'ioredis';
import { channelKey } from '../../src/channel/channel-name.ts';
import type { ServerOptions } from '../../src/server/create-server.ts';
import { RedisKeys } from '../../src/store/redis/keys.ts';
import { startRedis } from '../../test/helpers/redis.ts';
import type { Child } from '../child.ts';
import { BENCH_KEY, type BenchContext, type Row } from '../context.ts';
import { wallNow } from '../light-client.ts';
import { fmtMb, fmtMs, median, withTimeout } from '../stats.ts';
import { register } from './registry.ts';

const CHANNEL = 'bigsync';
const POPULATORS_PER_WORKER = 5;
const PER_MESSAGE = 100;
/** Mode bit PRESENCE only: populators enter members but do not receive everybody's events. */
const PRESENCE_ONLY = 1 << 16;

type Server = { child: Child; port: number };
type Join = { ms: number; members: number; stallMs: number };

/** Opens populators on `port` in `worker` and enters members [from, from + count) through them. */
async function populate(ctx: BenchContext, worker: Child, port: number, from: number, count: number, tag: string) {
  await worker.request('open', {
    port,
    key: BENCH_KEY,
    format: ctx.options.format,
    prefix: `pop${tag}-`,
    count: POPULATORS_PER_WORKER,
    channel: CHANNEL,
    flags: PRESENCE_ONLY,
  });
  await withTimeout(
    worker.request('populate', { channel: CHANNEL, prefix: 'member-', from, count, perMessage: PER_MESSAGE }),
    900_000,
    `populate ${count}`,
  );
}

/** One late joiner on `server`: ATTACH → last SYNC page, and the server's longest event-loop stall meanwhile. */
async function join(ctx: BenchContext, worker: Child, server: Server, clientId: string, expect: number): Promise<Join> {
  await server.child.request('loopReset');
  const r = await withTimeout(
    worker.request<{ ms: number; members: number }>('joinSync', {
      port: server.port,
      key: BENCH_KEY,
      format: ctx.options.format,
      channel: CHANNEL,
      clientId,
    }),
    120_000,
    `join of ${expect}`,
  );
  const loop = await server.child.request<{ maxMs: number }>('loopMax');
  if (r.members !== expect) throw new Error(`late joiner saw ${r.members} of ${expect} members`);
  return { ms: r.ms, members: r.members, stallMs: loop.maxMs };
}

/** A cold join (first on that node: read from the store) then two warm ones (pages reused), as one table cell. */
async function joins(ctx: BenchContext, worker: Child, server: Server, tag: string, expect: number) {
  const cold = await join(ctx, worker, server, `${tag}-cold`, expect);
  const warm = [await join(ctx, worker, server, `${tag}-w1`, expect), await join(ctx, worker, server, `${tag}-w2`, expect)];
  const stall = Math.max(cold.stallMs, ...warm.map((w) => w.stallMs));
  return {
    cold,
    result: `cold ${fmtMs(cold.ms)}, warm ${fmtMs(median(warm.map((w) => w.ms)))} (${warm.map((w) => fmtMs(w.ms)).join(', ')}); longest loop stall ${fmtMs(stall)}`,
  };
}

/**
 * The official SDK as the issue states it: a fresh `ably` client's `presence.get()` on `port` (attach + whole
 * SYNC + the SDK's own processing), in this harness process.
 */
async function sdkGet(port: number, expect: number): Promise<number> {
  const client = new Ably.Realtime({ key: BENCH_KEY, endpoint: 'localhost', port, tls: false, logLevel: 0, clientId: 'sdk' });
  try {
    await client.connection.once('connected');
    const t0 = performance.now();
    const members = await client.channels.get(CHANNEL).presence.get();
    const ms = performance.now() - t0;
    if (members.length !== expect) throw new Error(`SDK get() saw ${members.length} of ${expect}`);
    return ms;
  } finally {
    client.close();
  }
}

/** REST `GET /channels/{ch}/presence?limit=1000` followed through Link rel=next to the end: time and requests. */
async function restPages(port: number, expect: number): Promise<{ ms: number; requests: number }> {
  const auth = `Basic ${Buffer.from(BENCH_KEY).toString('base64')}`;
  const seen = new Set<string>();
  let path: string | undefined = `/channels/${CHANNEL}/presence?limit=1000`;
  let requests = 0;
  const t0 = performance.now();
  while (path) {
    const res: Response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: auth } });
    const items = (await res.json()) as Array<{ clientId: string; connectionId: string }>;
    requests++;
    for (const m of items) seen.add(`${m.clientId}:${m.connectionId}`);
    const next: string | undefined = /<\.\/presence(\?[^>]*)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    path = next ? `/channels/${CHANNEL}/presence${next}` : undefined;
  }
  const ms = performance.now() - t0;
  if (seen.size !== expect) throw new Error(`REST paging saw ${seen.size} of ${expect}`);
  return { ms, requests };
}

const heapPerMember = (before: number, after: number, m: number) => `${((after - before) / m).toFixed(0)} B`;

/** One in-memory node: M members, then late joiners. */
async function memoryRun(ctx: BenchContext, m: number): Promise<Row[]> {
  const server = await ctx.startServer({ maxMembersPerChannel: m + 1_000 });
  const [worker] = await ctx.startWorkers(1);
  if (!worker) throw new Error('no worker');
  const idle = await server.child.gc();
  const t0 = wallNow();
  await populate(ctx, worker, server.port, 0, m, 'm');
  const populateMs = wallNow() - t0;
  const full = await server.child.gc();
  const mark = await ctx.mark(server.child, [worker]);
  const j = await joins(ctx, worker, server, 'mem', m);
  const use = await ctx.since(mark, server.child, [worker]);
  const sdk = await sdkGet(server.port, m);
  const rest = await restPages(server.port, m);
  return [
    {
      scenario: '13 big sync, memory (1 node)',
      size: `M=${m}`,
      result: `${j.result}; heap ${heapPerMember(idle.heapUsed, full.heapUsed, m)}/member; entered in ${fmtMs(populateMs)}`,
      target: `cold < 1 s: ${j.cold.ms < 1000 ? 'yes' : 'NO'}`,
      server: use.server,
      load: use.load,
    },
    {
      scenario: '13 big sync, memory (1 node)',
      size: `M=${m}, ably SDK`,
      result: `presence.get() (pages reused) ${fmtMs(sdk)}; REST paging (limit 1000) ${fmtMs(rest.ms)} in ${rest.requests} requests`,
    },
  ];
}

/** Used memory of a Redis, bytes. */
async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** CPU Redis has used so far (user + system), seconds: it runs on the same cores as the nodes. */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
}

/**
 * Waits until Redis runs fewer than `quiet` commands in a second, polled each 500 ms: the nodes finish what the
 * entering caused after the last ACK (each member's first enter publishes its `client.online` transition through
 * the integrations, without presence waiting for it: 100k members are 100k publishes and history appends).
 * Resolves with how long it took, ms.
 */
async function redisQuiet(redis: Redis, quiet = 500, timeoutMs = 600_000): Promise<number> {
  const processed = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1]);
  const t0 = performance.now();
  let last = await processed();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await processed();
    // The poll's own INFO counts as one.
    if (now - last - 1 < quiet / 2) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error('Redis never went quiet');
    last = now;
  }
}

/**
 * Three nodes over one Redis: M members entered through nodes 0 and 1, late joiners on node 2 after it restarts
 * (its first read is the whole set from Redis) and on node 0. Baseline in the same run: one HGETALL of the same
 * hash by a bare ioredis client (what `members()` did before), with that client's longest event-loop stall.
 */
async function clusterRun(ctx: BenchContext, m: number): Promise<Row[]> {
  const stops: Array<() => unknown> = [];
  const redis = await startRedis({ after: (fn) => stops.push(fn) });
  const raw = new Redis(redis.url);
  try {
    const prefix = `bigsync${m}:`;
    const options: ServerOptions = { redisUrl: redis.url, redisPrefix: prefix, maxMembersPerChannel: m + 1_000 };
    const nodes = [await ctx.startServer(options), await ctx.startServer(options), await ctx.startServer(options)];
    const [n0, n1] = nodes as [Server, Server];
    const workers = await ctx.startWorkers(3);
    const [w0, w1, w2] = workers as [Child, Child, Child];
    const redisBefore = await usedMemory(raw);
    const heapBefore = await n0.child.gc();
    const t0 = wallNow();
    const half = Math.floor(m / 2);
    await Promise.all([populate(ctx, w0, n0.port, 0, half, 'a'), populate(ctx, w1, n1.port, half, m - half, 'b')]);
    const populateMs = wallNow() - t0;
    const drainMs = await redisQuiet(raw);
    const redisAfter = await usedMemory(raw);
    const heapAfter = await n0.child.gc();

    // Node 2 restarts: it comes back with nothing cached and reads the big set on its first late joiner.
    await nodes[2]?.child.stop();
    const n2 = await ctx.startServer(options);
    const mark = await ctx.mark(n2.child, [w2]);
    const redisCpuBefore = await redisCpu(raw);
    const j2 = await joins(ctx, w2, n2, 'n2', m);
    const redisJoinCpu = (await redisCpu(raw)) - redisCpuBefore;
    const use = await ctx.since(mark, n2.child, [w2]);
    const j0 = await joins(ctx, w2, n0, 'n0', m);
    // Restarted once more, for the SDK: its first get() reads the set from Redis, the second reuses the pages.
    await n2.child.stop();
    const n2b = await ctx.startServer(options);
    const sdkCold = await sdkGet(n2b.port, m);
    const sdkWarm = await sdkGet(n2b.port, m);
    const rest = await restPages(n2b.port, m);

    const key = new RedisKeys(prefix).members(channelKey('bench', CHANNEL));
    const loop = monitorEventLoopDelay({ resolution: 2 });
    loop.enable();
    const h0 = performance.now();
    const all = await raw.hgetallBuffer(key);
    const hgetallMs = performance.now() - h0;
    loop.disable();
    if (Object.keys(all).length !== m) throw new Error(`HGETALL saw ${Object.keys(all).length} of ${m}`);
    const redisPer = (redisAfter - redisBefore) / m;
    return [
      {
        scenario: '13 big sync, cluster (3 nodes, Redis)',
        size: `M=${m}, joiner on restarted node`,
        result: `${j2.result}; Redis CPU ${redisJoinCpu.toFixed(2)} s over the 3 joins; entered through 2 nodes in ${fmtMs(populateMs)}, Redis quiet ${fmtMs(drainMs)} after`,
        target: `cold < 1 s: ${j2.cold.ms < 1000 ? 'yes' : 'NO'}`,
        server: use.server,
        load: use.load,
      },
      {
        scenario: '13 big sync, cluster (3 nodes, Redis)',
        size: `M=${m}, joiner on entering node`,
        result: j0.result,
        target: `cold < 1 s: ${j0.cold.ms < 1000 ? 'yes' : 'NO'}`,
      },
      {
        scenario: '13 big sync, cluster (3 nodes, Redis)',
        size: `M=${m}, ably SDK on restarted node`,
        result: `presence.get(): cold ${fmtMs(sdkCold)}, warm ${fmtMs(sdkWarm)}; REST paging (limit 1000) ${fmtMs(rest.ms)} in ${rest.requests} requests`,
        target: `cold < 1 s: ${sdkCold < 1000 ? 'yes' : 'NO'}`,
      },
      {
        scenario: '13 big sync, cluster cost per member',
        size: `M=${m}`,
        result: `Redis ${redisPer.toFixed(0)} B/member (used_memory ${fmtMb(redisBefore)} → ${fmtMb(redisAfter)}); entering node heap ${heapPerMember(heapBefore.heapUsed, heapAfter.heapUsed, half)}/member it owns`,
      },
      {
        scenario: '13 baseline: one HGETALL (before)',
        size: `M=${m}`,
        result: `${fmtMs(hgetallMs)} for the reply alone (no decoding); client's longest loop stall ${fmtMs(loop.max / 1e6)}`,
      },
    ];
  } finally {
    raw.disconnect();
    await ctx.stopAll();
    for (const stop of stops) await stop();
  }
}

/**
 * 13. Big rooms (issue 16): a late joiner's SYNC of M members (100,000 in full runs), in memory on one node and
 * over Redis with three nodes, with the cost per member (heap; Redis used_memory) and the longest event-loop
 * stall of the serving node during the read.
 */
register({
  name: 'big-sync',
  title: '13 big sync',
  sizes: { quick: [20_000], full: [100_000] },
  async run(ctx, m) {
    const rows = await memoryRun(ctx, m);
    await ctx.stopAll();
    rows.push(...(await clusterRun(ctx, m)));
    return rows;
  },
});
