import { readFileSync } from 'node:fs';
import type { Child } from './child.ts';
import type { InstructionCounter } from './instructions.ts';
import type { RedisCallCounts } from './redis-call-counter.ts';
import { diffTotals, type RedisProbe, type RedisTotals, scaleTotals, totalCalls } from './redis-probe.ts';

/**
 * The per-operation cost measurement of the redis-cost scenario (bench/scenarios/redis-cost.ts): phases bracketed
 * by reads of Redis's counters, the nodes' CPU and the Redis commands they sent, with the background subtracted,
 * and the table they make.
 */

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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
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
export class CostMeter {
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

/** One line for a cost: what the table row shows. */
export function describe(c: OpCost): string {
  const r = c.redis;
  return (
    `${c.roundTrips.toFixed(2)} round trips (${fmtCounts(c.sent)}); Redis ran ${totalCalls(r).toFixed(2)} commands ` +
    `(${fmtCounts(r.calls)}); ${r.netIn.toFixed(0)} B in, ${r.netOut.toFixed(0)} B out; Redis CPU ${(r.cpuSec * 1e6).toFixed(0)} µs ` +
    `(commands ${r.usec.toFixed(1)} µs); node CPU ${fmtNodes(c.nodeCpuUs)}${fmtInstructions(c)}; ${c.seconds.toFixed(1)} s, load ${c.load}`
  );
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
