import type { ServerOptions } from '../src/server/create-server.ts';
import { type Child, type SpawnOptions, spawnChild } from './child.ts';
import { type Format, wallNow } from './light-client.ts';
import type { ProcessStats } from './process-stats.ts';
import { fmtMb } from './stats.ts';

export const BENCH_KEY = 'bench.key1:bench-secret';

/** How this run was asked to behave (from argv). */
export interface BenchOptions {
  quick: boolean;
  format: Format;
  /** Directory for --cpu-prof profiles of the server and load processes; undefined = no profiling. */
  cpuProf?: string;
  /** CPU the server process is pinned to (taskset), or undefined. */
  serverCpu?: number;
  /** Scenario names to run (all when empty). */
  only: string[];
  /** Clients of the cross-node storm (`--clients`); its own default when undefined. */
  clients?: number;
  /** Rounds for the scenarios that repeat their comparison (`--rounds`); each has its own default. */
  rounds?: number;
}

/** One line of the results table. */
export interface Row {
  scenario: string;
  size: string;
  result: string;
  /** The target for this line and whether it was met, e.g. "< 5 s: yes". */
  target?: string;
  /** Server CPU and RSS during the measured phase. */
  server?: string;
  /** Load generator CPU during the measured phase. */
  load?: string;
}

/** A snapshot of CPU counters, so a phase's CPU use can be reported. */
export interface Mark {
  at: number;
  server: ProcessStats;
  load: ProcessStats[];
}

/** The server and load processes a scenario uses; everything it starts is stopped by `stopAll`. */
export class BenchContext {
  private readonly children: Child[] = [];

  constructor(readonly options: BenchOptions) {}

  /**
   * Starts Rollcall in its own process with the bench key and limits that would otherwise throttle load;
   * `countRedis` makes it count the Redis commands it sends (see bench/redis-call-counter.ts); `callgrind` runs it
   * under valgrind's callgrind, writing its counts into that directory (see bench/instructions.ts); `valgrind` and
   * `nodeFlags` run it under valgrind with exactly those arguments (see bench/callgrind.ts).
   */
  async startServer(
    overrides: ServerOptions = {},
    extra: { countRedis?: boolean; callgrind?: string } & Pick<SpawnOptions, 'valgrind' | 'nodeFlags'> = {},
  ): Promise<{ child: Child; port: number }> {
    const config: ServerOptions = {
      keys: [{ key: BENCH_KEY }],
      maxInboundRate: 1_000_000,
      maxMembersPerChannel: 100_000,
      maxConnectionsPerKey: 0,
      ...overrides,
    };
    const args = [JSON.stringify(config), ...(extra.countRedis ? ['--count-redis'] : [])];
    const child = spawnChild('server', 'server-process.ts', args, {
      cpu: this.options.serverCpu,
      cpuProf: this.options.cpuProf,
      maxOldSpaceMb: 4096,
      callgrind: extra.callgrind,
      valgrind: extra.valgrind,
      nodeFlags: extra.nodeFlags,
    });
    this.children.push(child);
    const { port } = await child.ready;
    return { child, port };
  }

  /** Starts the raw `ws` relay (the ceiling) under the same pinning as the server. */
  async startCeiling(args: string[] = []): Promise<{ child: Child; port: number }> {
    const child = spawnChild('ceiling', 'ceiling-server.ts', args, { cpu: this.options.serverCpu });
    this.children.push(child);
    const { port } = await child.ready;
    return { child, port };
  }

  /** Starts `n` load-generator processes. */
  async startWorkers(n: number): Promise<Child[]> {
    const workers = Array.from({ length: n }, (_, i) =>
      spawnChild(`load${i}`, 'load-worker.ts', [], { maxOldSpaceMb: 4096, cpuProf: this.options.cpuProf }),
    );
    this.children.push(...workers);
    await Promise.all(workers.map((w) => w.ready));
    return workers;
  }

  async mark(server: Child, load: Child[]): Promise<Mark> {
    const [s, ...l] = await Promise.all([server.stats(), ...load.map((w) => w.stats())]);
    return { at: wallNow(), server: s as ProcessStats, load: l };
  }

  /** CPU used since `from` by the server and (summed) the load generators, as table cells. */
  async since(from: Mark, server: Child, load: Child[]): Promise<{ server: string; load: string; serverCpuMs: number }> {
    const now = await this.mark(server, load);
    const wall = now.at - from.at;
    const serverCpuMs = now.server.cpuMs - from.server.cpuMs;
    const loadCpuMs = now.load.reduce((n, s, i) => n + s.cpuMs - (from.load[i] as ProcessStats).cpuMs, 0);
    const pct = (ms: number) => `${Math.round((100 * ms) / Math.max(1, wall))}%`;
    return {
      server: `${(serverCpuMs / 1000).toFixed(2)} s (${pct(serverCpuMs)}), ${fmtMb(now.server.rss)}`,
      load: `${(loadCpuMs / 1000).toFixed(2)} s (${pct(loadCpuMs)})`,
      serverCpuMs,
    };
  }

  /** Stops every process this context started. */
  async stopAll(): Promise<void> {
    const all = this.children.splice(0);
    await Promise.all(all.map((c) => c.stop()));
  }
}

/** Splits `total` into `parts` near-equal counts. */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}
