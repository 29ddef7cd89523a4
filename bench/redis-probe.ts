import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

/** What every master of a deployment has done so far, summed over the masters, the probe's own traffic left out. */
export interface RedisTotals {
  /** INFO commandstats calls by command (`hset`, `evalsha`, `cluster|info`, ...), including commands scripts call. */
  calls: Record<string, number>;
  /** Microseconds Redis spent executing commands (commandstats usec, summed). */
  usec: number;
  /** Bytes Redis read from and wrote to its clients (INFO stats total_net_input_bytes / total_net_output_bytes). */
  netIn: number;
  netOut: number;
  /** CPU seconds of the redis-server processes (INFO cpu used_cpu_user + used_cpu_sys). */
  cpuSec: number;
}

/** `b − a`, field by field (a command missing from `a` counts from zero). */
export function diffTotals(b: RedisTotals, a: RedisTotals): RedisTotals {
  const calls: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.calls)) {
    const d = v - (a.calls[k] ?? 0);
    if (d !== 0) calls[k] = d;
  }
  return { calls, usec: b.usec - a.usec, netIn: b.netIn - a.netIn, netOut: b.netOut - a.netOut, cpuSec: b.cpuSec - a.cpuSec };
}

/** `t` with every field multiplied by `k` (to scale a background rate to a phase's duration). */
export function scaleTotals(t: RedisTotals, k: number): RedisTotals {
  const calls: Record<string, number> = {};
  for (const [c, v] of Object.entries(t.calls)) calls[c] = v * k;
  return { calls, usec: t.usec * k, netIn: t.netIn * k, netOut: t.netOut * k, cpuSec: t.cpuSec * k };
}

const SECTIONS = ['stats', 'cpu', 'commandstats'];
/** The RESP bytes of `INFO stats cpu commandstats` as a client sends it. */
const INFO_COMMAND_BYTES = ['INFO', ...SECTIONS].reduce(
  (n, arg) => n + `$${arg.length}\r\n`.length + arg.length + 2,
  `*${SECTIONS.length + 1}\r\n`.length,
);

/** One master, asked with `INFO stats cpu commandstats`, with the probe's own commands and bytes kept apart. */
class MasterProbe {
  private infos = 0;
  private sentBytes = 0;
  private receivedBytes = 0;

  constructor(private readonly client: Redis) {}

  async read(): Promise<RedisTotals> {
    // Redis counts a command's input before running it and its reply after: this INFO's request is in the
    // numbers it returns, its reply and its own commandstats call are not.
    const ownCalls = this.infos;
    this.infos++;
    this.sentBytes += INFO_COMMAND_BYTES;
    const ownIn = this.sentBytes;
    const ownOut = this.receivedBytes;
    const text = String(await this.client.call('INFO', ...SECTIONS));
    const length = Buffer.byteLength(text);
    this.receivedBytes += `$${length}\r\n`.length + length + 2;
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
    const calls: Record<string, number> = {};
    let usec = 0;
    for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
      const [, name = '', n = '0', us = '0'] = m;
      const own = name === 'info' ? ownCalls : 0;
      if (name === 'info') {
        // The probe's INFOs are the only ones after start-up; their time is left out with them.
        if (Number(n) - own > 0) calls[name] = Number(n) - own;
        continue;
      }
      calls[name] = Number(n);
      usec += Number(us);
    }
    return {
      calls,
      usec,
      netIn: field('total_net_input_bytes') - ownIn,
      netOut: field('total_net_output_bytes') - ownOut,
      cpuSec: field('used_cpu_user') + field('used_cpu_sys'),
    };
  }
}

/**
 * Reads the counters of every master of a Redis deployment (one server, or each master of a Cluster) with plain
 * connections of its own, and subtracts its own INFO commands and their bytes, so a before/after pair around a
 * bench phase shows only what Rollcall did (and background work of the same period, which the caller subtracts).
 */
export class RedisProbe {
  private constructor(
    private readonly clients: Redis[],
    private readonly masters: MasterProbe[],
  ) {}

  static async connect(ports: number[]): Promise<RedisProbe> {
    const require = createRequire(import.meta.url);
    const { Redis: RedisClass } = require('ioredis') as { Redis: new (o: RedisOptions) => Redis };
    const clients = ports.map((port) => new RedisClass({ host: '127.0.0.1', port, lazyConnect: true, enableReadyCheck: false }));
    await Promise.all(clients.map((c) => c.connect()));
    return new RedisProbe(
      clients,
      clients.map((c) => new MasterProbe(c)),
    );
  }

  /**
   * Loads `sources` into every master's script cache, so no measured operation pays a script's first use (a
   * NOSCRIPT reply and an EVAL with the whole source). Done before the first read: not counted as anyone's.
   */
  async loadScripts(sources: string[]): Promise<void> {
    for (const c of this.clients) for (const source of sources) await c.call('SCRIPT', 'LOAD', source);
  }

  /** The sum over the masters now. */
  async read(): Promise<RedisTotals> {
    const all = await Promise.all(this.masters.map((m) => m.read()));
    const sum: RedisTotals = { calls: {}, usec: 0, netIn: 0, netOut: 0, cpuSec: 0 };
    for (const t of all) {
      for (const [k, v] of Object.entries(t.calls)) sum.calls[k] = (sum.calls[k] ?? 0) + v;
      sum.usec += t.usec;
      sum.netIn += t.netIn;
      sum.netOut += t.netOut;
      sum.cpuSec += t.cpuSec;
    }
    return sum;
  }

  close(): void {
    for (const c of this.clients) c.disconnect();
  }
}

/** Commands in `t`, summed. */
export const totalCalls = (t: RedisTotals): number => Object.values(t.calls).reduce((n, v) => n + v, 0);
