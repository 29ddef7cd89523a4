import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Redis as RedisClient } from 'ioredis';
import { encodeClusterMessage } from '../../src/cluster/cluster-message.ts';
import { RedisKeys } from '../../src/store/redis/keys.ts';
import { startRedisBackend, startRedisCluster, type TestRedisBackend } from '../../test/helpers/redis-topologies.ts';
import type { Child } from '../child.ts';
import { BENCH_KEY, type BenchContext, type Row } from '../context.ts';
import { InstructionCounter } from '../instructions.ts';
import { type RedisCallCounts, scriptSources } from '../redis-call-counter.ts';
import { diffTotals, RedisProbe, type RedisTotals, scaleTotals, totalCalls } from '../redis-probe.ts';
import { withTimeout } from '../stats.ts';
import { register } from './registry.ts';

/** Counters of one moment: Redis (all masters), and the Rollcall nodes' CPU and the Redis commands they sent. */
interface Mark {
  at: number;
  redis: RedisTotals;
  /** CPU ms used so far by each node, in the order of the servers read. */
  nodeCpuMs: number[];
  sent: RedisCallCounts;
}

/** One measured operation, per operation, background already subtracted. */
export interface OpCost {
  op: string;
  count: number;
  seconds: number;
  load: string;
  /** Round trips and commands the nodes sent, per operation. */
  roundTrips: number;
  sent: Record<string, number>;
  /** What Redis ran (scripts' inner commands included), bytes in and out, its CPU and command time, per operation. */
  redis: RedisTotals;
  /** CPU µs per operation of each node (A, then B when it still runs). */
  nodeCpuUs: number[];
  /** Instructions per operation of node A, when it runs under callgrind. */
  nodeAInstructions?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function diffSent(b: RedisCallCounts, a: RedisCallCounts, scale = 1): Record<string, number> & { roundTrips: number } {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.commands)) out[k] = (v - (a.commands[k] ?? 0)) * scale;
  return Object.assign(out, { roundTrips: (b.roundTrips - a.roundTrips) * scale });
}

function sumSent(all: RedisCallCounts[]): RedisCallCounts {
  const out: RedisCallCounts = { commands: {}, roundTrips: 0 };
  for (const c of all) {
    out.roundTrips += c.roundTrips;
    for (const [k, v] of Object.entries(c.commands)) out.commands[k] = (out.commands[k] ?? 0) + v;
  }
  return out;
}

/** `{a: 1.0, b: 0.5}` as "a 1, b 0.5", largest first, dropping what rounds to nothing. */
export function fmtCounts(counts: Record<string, number>, digits = 2): string {
  return Object.entries(counts)
    .filter(([, v]) => Math.abs(v) >= 0.005)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${Number(v.toFixed(digits))}`)
    .join(', ');
}

/**
 * The measuring harness of one deployment: two Rollcall nodes (A, B) over one Redis (single or Cluster), every
 * phase bracketed by counter reads, with the background (heartbeats, sweeps, shard probes) measured at rest first
 * and subtracted pro rata.
 */
class CostMeter {
  background: { redis: RedisTotals; cpuMs: number[]; sent: RedisCallCounts; instructions?: number } | undefined;
  readonly costs: OpCost[] = [];

  constructor(
    private readonly probe: RedisProbe,
    public servers: Child[],
    /** Node A's instruction counter, when it runs under callgrind. */
    private readonly instructions?: InstructionCounter,
  ) {}

  async mark(servers = this.servers): Promise<Mark> {
    const [redis, stats, sent] = await Promise.all([
      this.probe.read(),
      Promise.all(servers.map((s) => s.stats())),
      Promise.all(servers.map((s) => s.request<RedisCallCounts>('redisCalls'))),
    ]);
    return { at: performance.now(), redis, nodeCpuMs: stats.map((s) => s.cpuMs), sent: sumSent(sent) };
  }

  /** Waits until Redis is quiet: two reads 250 ms apart with no more than a heartbeat's worth of commands between. */
  async settle(limitMs = 15_000): Promise<void> {
    const until = performance.now() + limitMs;
    let last = totalCalls(await this.probe.read());
    let quiet = 0;
    while (quiet < 2 && performance.now() < until) {
      await sleep(250);
      const now = totalCalls(await this.probe.read());
      quiet = now - last <= 15 ? quiet + 1 : 0;
      last = now;
    }
  }

  /** Measures the background of the deployment at rest, per second, over `ms`. */
  async measureBackground(ms: number): Promise<void> {
    await this.instructions?.zero();
    const a = await this.mark();
    await sleep(ms);
    const b = await this.mark();
    const ins = await this.instructions?.read();
    const k = 1000 / (b.at - a.at);
    this.background = {
      redis: scaleTotals(diffTotals(b.redis, a.redis), k),
      cpuMs: b.nodeCpuMs.map((ms, i) => (ms - (a.nodeCpuMs[i] as number)) * k),
      sent: { commands: diffSent(b.sent, a.sent, k), roundTrips: (b.sent.roundTrips - a.sent.roundTrips) * k },
      instructions: ins === undefined ? undefined : ins * k,
    };
  }

  /**
   * Runs `run` (`count` operations), waits for one liveness sweep (the msgSerial progress it writes belongs to the
   * operation) and for Redis to go quiet, and records the difference per operation, minus the background of that
   * time (`share` of it: the fraction of the nodes still running).
   */
  async phase(op: string, count: number, run: () => Promise<unknown>, opts: { wait?: number; share?: number } = {}) {
    const servers = this.servers;
    const load = loadAverage();
    await this.instructions?.zero();
    const a = await this.mark(servers);
    await run();
    await sleep(opts.wait ?? 1200);
    await this.settle();
    const b = await this.mark(servers);
    const ins = await this.instructions?.read();
    const seconds = (b.at - a.at) / 1000;
    const bg = this.background;
    const share = (opts.share ?? 1) * seconds;
    let redis = diffTotals(b.redis, a.redis);
    const sent = diffSent(b.sent, a.sent);
    // Each node's own background is known; Redis's is shared, so a dead node's part is left out by `share`.
    let cpuMs = b.nodeCpuMs.map((ms, i) => ms - (a.nodeCpuMs[i] as number));
    if (bg) {
      redis = diffTotals(redis, scaleTotals(bg.redis, share));
      const bgSent = bg.sent.commands as Record<string, number> & { roundTrips: number };
      for (const [k, v] of Object.entries(bgSent)) if (k !== 'roundTrips') sent[k] = (sent[k] ?? 0) - v * share;
      sent.roundTrips -= bg.sent.roundTrips * share;
      cpuMs = cpuMs.map((ms, i) => ms - (bg.cpuMs[i] as number) * seconds);
    }
    const per = 1 / count;
    const { roundTrips, ...commands } = sent;
    const cost: OpCost = {
      op,
      count,
      seconds,
      load,
      roundTrips: roundTrips * per,
      sent: Object.fromEntries(Object.entries(commands).map(([k, v]) => [k, v * per])),
      redis: scaleTotals(redis, per),
      nodeCpuUs: cpuMs.map((ms) => (ms * 1000) / count),
      nodeAInstructions: ins === undefined ? undefined : (ins - (bg?.instructions ?? 0) * seconds) / count,
    };
    this.costs.push(cost);
    console.log(`    ${op}: ${describe(cost)}`);
    return cost;
  }
}

/** Node CPU per operation: "A + B = total µs" (only A once B is dead). */
const fmtNodes = (us: number[]): string =>
  us.length === 1
    ? `${(us[0] as number).toFixed(0)} µs`
    : `${us.map((u) => u.toFixed(0)).join(' + ')} = ${us.reduce((n, u) => n + u, 0).toFixed(0)} µs`;

/** Node A's instructions per operation, when counted: ", A 1.23M instructions". */
const fmtInstructions = (c: OpCost): string =>
  c.nodeAInstructions === undefined ? '' : `; A ${(c.nodeAInstructions / 1e6).toFixed(2)}M instructions`;

/**
 * `ROLLCALL_BENCH_CALLGRIND=DIR` runs node A under callgrind (output in DIR) and adds its instructions per
 * operation: a count other processes on the machine cannot inflate. About 50× slower: use a small N.
 */
const CALLGRIND = process.env.ROLLCALL_BENCH_CALLGRIND || undefined;

/** One line for a cost: what the table row shows. */
function describe(c: OpCost): string {
  const r = c.redis;
  return (
    `${c.roundTrips.toFixed(2)} round trips (${fmtCounts(c.sent)}); Redis ran ${totalCalls(r).toFixed(2)} commands ` +
    `(${fmtCounts(r.calls)}); ${r.netIn.toFixed(0)} B in, ${r.netOut.toFixed(0)} B out; Redis CPU ${(r.cpuSec * 1e6).toFixed(0)} µs ` +
    `(commands ${r.usec.toFixed(1)} µs); node CPU ${fmtNodes(c.nodeCpuUs)}${fmtInstructions(c)}; ${c.seconds.toFixed(1)} s, load ${c.load}`
  );
}

/** Longest heartbeat gaps seen during the reassert phases of this run (printed with the table). */
const heartbeatGaps: string[] = [];

/**
 * Polls node `nodeId`'s last heartbeat (its score in the registry) every 50 ms; `stop` returns the longest time
 * between two successive beats seen (ms). A node's pass writes its beat first and skips ticks while running, so a
 * long pass shows here as a long gap, and peers take the node for dead once it exceeds nodeDownTimeout.
 */
function watchHeartbeats(redis: RedisClient, key: string, nodeId: string): { stop(): Promise<number> } {
  let running = true;
  let longest = 0;
  const done = (async () => {
    let last: number | undefined;
    while (running) {
      const beat = Number(await redis.zscore(key, nodeId));
      if (last !== undefined && beat !== last) longest = Math.max(longest, beat - last);
      last = beat;
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return longest;
    },
  };
}

/** The script a re-assert pass runs once per (connection, channel) of the node's members. */
const REASSERT = 'evalsha presence-reassert';

/** Resolves once `check` holds, asking every 100 ms (another process's progress has no event to wait on). */
async function waitFor(check: () => Promise<boolean>, limitMs = 300_000): Promise<void> {
  const until = performance.now() + limitMs;
  while (!(await check())) {
    if (performance.now() > until) throw new Error('timed out waiting for a re-assert pass');
    await sleep(100);
  }
}

/** The deployment of `topology`, torn down by the returned stops. */
async function startBackend(topology: 'single' | 'cluster', stops: Array<() => unknown>): Promise<TestRedisBackend> {
  const after = (fn: () => unknown) => stops.push(fn);
  return topology === 'cluster' ? startRedisCluster({ after }) : startRedisBackend({ after }, 'single');
}

/**
 * Everything measured on one deployment: connect, attach, enter, reassert (the TTL refresh pass), publish,
 * leave, abrupt drop, resume on the other node, clean close, and the death of a node. N clients do each operation
 * once (node death: N members on the dead node).
 */
async function measureDeployment(ctx: BenchContext, topology: 'single' | 'cluster', n: number): Promise<OpCost[]> {
  const stops: Array<() => unknown> = [];
  let probe: RedisProbe | undefined;
  let publisher: RedisClient | undefined;
  try {
    const backend = await startBackend(topology, stops);
    probe = await RedisProbe.connect(await backend.masters());
    await probe.loadScripts([...scriptSources().values()].map((s) => s.source));
    // Connected now: its handshake is not part of the TTL-refresh phase below.
    const require = createRequire(import.meta.url);
    const { Redis } = require('ioredis') as { Redis: new (port: number, host: string) => RedisClient };
    const [anyMaster = 0] = await backend.masters();
    publisher = new Redis(anyMaster, '127.0.0.1');
    await publisher.ping();
    const prefix = `cost${n}:`;
    const config = {
      redisUrl: backend.url,
      redisPrefix: prefix,
      // The TTL refresh pass (every memberTtl / 3) is measured on its own below; here it must not land at random
      // inside another phase.
      memberTtl: 600_000,
      maxChannelsPerConnection: 100_000,
    };
    const [a, b] = await Promise.all([
      ctx.startServer({ ...config, serverId: 'cost-a' }, { countRedis: true, callgrind: CALLGRIND }),
      ctx.startServer({ ...config, serverId: 'cost-b' }, { countRedis: true }),
    ]);
    const [users, watcherB, doomed, watcherA] = (await ctx.startWorkers(4)) as [Child, Child, Child, Child];
    const counter = CALLGRIND ? new InstructionCounter(a.child.pid, CALLGRIND) : undefined;
    const meter = new CostMeter(probe, [a.child, b.child], counter);
    const open = (w: Child, port: number, prefix: string, count: number, remainPresentFor?: number) =>
      w.request('open', { port, key: BENCH_KEY, format: ctx.options.format, prefix, count, remainPresentFor });

    // At rest with no clients: heartbeats, leave sweeps, shard probes (after the nodes' first passes).
    await sleep(2500);
    await meter.measureBackground(6000);

    await meter.phase('connect', n, () => open(users, a.port, 'u', n, 30_000));
    await meter.phase('attach (channel already attached on the node)', n, () =>
      users.request('attachAll', { channel: 'hot', roomSize: 0 }),
    );
    await meter.phase('attach (channel new to the node)', n, () => users.request('attachAll', { channel: 'own', roomSize: 1 }));
    // A watcher on node B attached to every user's channel: each event also crosses to another node.
    await open(watcherB, b.port, 'w', 1);
    await watcherB.request('watchMany', { channel: 'own', count: n });
    await meter.settle();
    await meter.phase('enter', n, async () => {
      await users.request('enterOwn');
      await watcherB.request('waitWatched', { enter: n });
    });

    // At rest with N present members: compared with the empty background, the per-member cost between passes.
    const idle = await meter.phase('at rest with N members, per member per second', n, () => sleep(5000), { wait: 0 });
    idle.op = 'at rest, per member-second';
    const seconds = idle.seconds;
    idle.roundTrips /= seconds;
    idle.nodeCpuUs = idle.nodeCpuUs.map((us) => us / seconds);
    idle.redis = scaleTotals(idle.redis, 1 / seconds);
    for (const k of Object.keys(idle.sent)) (idle.sent[k] as number) /= seconds;

    // One TTL refresh pass of node A (normally every memberTtl / 3): asked for by telling A it was reaped.
    const keys = new RedisKeys(prefix);
    const askReassert = () =>
      (publisher as RedisClient).publish(
        keys.control(),
        encodeClusterMessage({ type: 'node-down', nodeId: 'cost-a', by: 'bench' }),
      );
    // The pass has ended when node A has sent one re-assert script per member (a connection's members on one
    // channel go in one script): counted by the node itself, so waiting adds no Redis traffic, however slow it is.
    const reasserts = async () => (await a.child.request<RedisCallCounts>('redisCalls')).commands[REASSERT] ?? 0;
    await meter.phase('reassert pass (TTL refresh), per member', n, async () => {
      const from = await reasserts();
      await askReassert();
      await waitFor(async () => (await reasserts()) >= from + n);
    });
    // Once more, unmeasured (its polling is Redis traffic too), timing the pass and watching A's heartbeats.
    const gaps = watchHeartbeats(publisher, keys.nodes(), 'cost-a');
    const from = await reasserts();
    await askReassert();
    await waitFor(async () => (await reasserts()) > from);
    const began = performance.now();
    await waitFor(async () => (await reasserts()) >= from + n);
    const pass = performance.now() - began;
    await meter.settle();
    const gap = await gaps.stop();
    const line = `pass ${(pass / 1000).toFixed(2)} s, longest heartbeat gap ${(gap / 1000).toFixed(2)} s`;
    console.log(`    node A's reassert pass over ${n} members: ${line}`);
    heartbeatGaps.push(`${topology}, N=${n}: ${line}`);

    await meter.phase('publish (100 B)', n, async () => {
      await users.request('publishOwn', { size: 100 });
      await watcherB.request('waitWatched', { messages: n });
    });
    await meter.phase('leave', n, async () => {
      await users.request('leaveOwn');
      await watcherB.request('waitWatched', { leave: n });
    });
    await users.request('enterOwn');
    await watcherB.request('waitWatched', { enter: 2 * n });
    await meter.settle();
    await meter.phase('abrupt disconnect (grace period starts)', n, () => users.request('killAll'));
    await meter.phase('resume on the other node (+ reattach)', n, () =>
      users.request('resumeAll', { port: b.port, key: BENCH_KEY, format: ctx.options.format }),
    );
    await meter.phase('close (clean; members leave)', n, async () => {
      await users.request('closeAll');
      await watcherB.request('waitWatched', { leave: 2 * n });
    });

    // Node death: N members on node B (1 s grace), watched from node A; B is killed.
    await open(doomed, b.port, 'd', n, 1000);
    await doomed.request('attachAll', { channel: 'death', roomSize: n });
    await open(watcherA, a.port, 'dw', 1);
    await watcherA.request('watchMany', { channel: 'death', count: 1 });
    await doomed.request('enterOwn');
    await watcherA.request('waitWatched', { enter: n });
    await meter.settle();
    meter.servers = [a.child];
    await meter.phase(
      'node death (kill -9), per member',
      n,
      async () => {
        b.child.proc.kill('SIGKILL');
        await withTimeout(watcherA.request('waitWatched', { leave: n }), 60_000, 'leaves after node death');
      },
      { share: 0.5 },
    );
    const bg = meter.background;
    if (bg) {
      meter.costs.unshift({
        op: 'background at rest, 2 nodes, per second',
        count: 1,
        seconds: 6,
        load: '',
        roundTrips: bg.sent.roundTrips,
        sent: Object.fromEntries(Object.entries(bg.sent.commands).filter(([k]) => k !== 'roundTrips')),
        redis: bg.redis,
        nodeCpuUs: bg.cpuMs.map((ms) => ms * 1000),
        nodeAInstructions: bg.instructions,
      });
    }
    return meter.costs;
  } finally {
    publisher?.disconnect();
    probe?.close();
    try {
      await ctx.stopAll();
    } finally {
      for (const stop of stops.reverse()) await stop();
    }
  }
}

/** A Markdown table of the costs of one deployment. */
export function costTable(costs: OpCost[]): string {
  const head =
    '| operation | round trips / op (nodes → Redis) | Redis commands / op (scripts counted inside) | bytes in / out per op | Redis CPU / op | node CPU / op (A + B) |';
  const rule = '|---|---|---|---|---|---|';
  const lines = costs.map((c) => {
    const r = c.redis;
    return (
      `| ${c.op} | ${c.roundTrips.toFixed(2)}: ${fmtCounts(c.sent)} | ${totalCalls(r).toFixed(2)}: ${fmtCounts(r.calls)} | ` +
      `${r.netIn.toFixed(0)} / ${r.netOut.toFixed(0)} | ${(r.cpuSec * 1e6).toFixed(0)} µs | ${fmtNodes(c.nodeCpuUs)}${fmtInstructions(c)} |`
    );
  });
  return [head, rule, ...lines].join('\n');
}

/**
 * 12. What each operation costs Redis and a node (issue 16, part 3): commands (as sent, and as Redis ran them,
 * scripts' inner commands included), bytes, Redis CPU and node CPU per operation, on one Redis and on a 3-master
 * Redis Cluster in the same run. See docs/scaling.md for how these numbers become a capacity model.
 */
register({
  name: 'redis-cost',
  title: '12 Redis cost per operation',
  sizes: { quick: [200], full: [1000] },
  async run(ctx, n) {
    const rows: Row[] = [];
    // ROLLCALL_REDIS_TOPOLOGIES=single (as for the cluster test suites) narrows the run, e.g. under callgrind.
    const wanted = process.env.ROLLCALL_REDIS_TOPOLOGIES?.split(',');
    const topologies = (['single', 'cluster'] as const).filter((t) => !wanted || wanted.includes(t));
    for (const topology of topologies) {
      console.log(`  redis-cost on ${topology === 'single' ? 'one Redis' : 'a 3-master Redis Cluster'}, N=${n}`);
      const costs = await measureDeployment(ctx, topology, n);
      console.log(`\n${costTable(costs)}\n\nreassert pass (unmeasured repeat): ${heartbeatGaps.join('; ')}\n`);
      for (const c of costs) {
        rows.push({ scenario: '12 Redis cost per operation', size: `${topology}, N=${n}`, result: `${c.op}: ${describe(c)}` });
      }
    }
    return rows;
  },
});
