import { createRequire } from 'node:module';
import type { Redis as RedisClient } from 'ioredis';
import { encodeClusterMessage } from '../../src/cluster/cluster-message.ts';
import type { ServerOptions } from '../../src/server/create-server.ts';
import { RedisKeys } from '../../src/store/redis/keys.ts';
import { startRedisBackend, startRedisCluster, type TestRedisBackend } from '../../test/helpers/redis-topologies.ts';
import type { Child } from '../child.ts';
import { BENCH_KEY, type BenchContext, type Row } from '../context.ts';
import { CostMeter, costTable, describe, type OpCost, sleep } from '../cost-meter.ts';
import { InstructionCounter } from '../instructions.ts';
import { type RedisCallCounts, scriptSources } from '../redis-call-counter.ts';
import { RedisProbe, scaleTotals } from '../redis-probe.ts';
import { withTimeout } from '../stats.ts';
import { register } from './registry.ts';

/**
 * `ROLLCALL_BENCH_CALLGRIND=DIR` runs node A under callgrind (output in DIR) and adds its instructions per
 * operation: a count other processes on the machine cannot inflate. About 50× slower: use a small N.
 */
const CALLGRIND = process.env.ROLLCALL_BENCH_CALLGRIND || undefined;

/** Each deployment's re-assert pass duration and longest heartbeat gap during it (printed with the table). */
const reassertPasses: string[] = [];

/**
 * Polls node `nodeId`'s last heartbeat (its score in the registry) every 50 ms; `stop` returns the longest time
 * between two successive beats seen (ms). It should stay at nodeHeartbeatInterval however long a pass runs; a gap
 * beyond nodeDownTimeout makes the peers take the node for dead (as a long pass did when it held up the heartbeat).
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
      // e.g. ROLLCALL_BENCH_CONFIG='{"clientTransitions":false}': what a setting changes in each operation's cost.
      ...(JSON.parse(process.env.ROLLCALL_BENCH_CONFIG ?? '{}') as ServerOptions),
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
    reassertPasses.push(`${topology}, N=${n}: ${line}`);

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
      console.log(`\n${costTable(costs)}\n\nreassert pass (unmeasured repeat): ${reassertPasses.join('; ')}\n`);
      for (const c of costs) {
        rows.push({ scenario: '12 Redis cost per operation', size: `${topology}, N=${n}`, result: `${c.op}: ${describe(c)}` });
      }
    }
    return rows;
  },
});
