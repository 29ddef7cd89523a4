import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Counts, inside a Rollcall process, every command its Redis clients send, by name (EVALSHA/EVAL by the script
 * they run), and the round trips they cost: a command sent alone is one, a pipeline or MULTI/EXEC block is one
 * for all its commands. Redis's own INFO commandstats also counts the commands scripts call inside, and cannot
 * tell a round trip from a command; this is the client's side of the same traffic. Bench-only: it wraps ioredis's
 * `Redis.prototype.sendCommand`, through which both a single-server and a Cluster client send everything.
 */
export interface RedisCallCounts {
  /** Commands sent, by name (`evalsha presence-upsert`, `sadd`, `multi`, ...). */
  commands: Record<string, number>;
  /** Round trips: commands sent on their own plus pipelines (each counted once). */
  roundTrips: number;
}

const counts: RedisCallCounts = { commands: {}, roundTrips: 0 };

/**
 * Every script of src/store/redis/lua as LuaScript may compose it (any order of the shared libs prepended), by
 * SHA1 with its name and source.
 */
export function scriptSources(): Map<string, { name: string; source: string }> {
  const dir = new URL('../src/store/redis/lua/', import.meta.url);
  const read = (f: string) => readFileSync(new URL(f, dir), 'utf8');
  const libs = readdirSync(new URL('lib/', dir)).map((f) => read(`lib/${f}`));
  const prefixes: string[][] = [[]];
  for (const a of libs) {
    prefixes.push([a]);
    for (const b of libs) if (b !== a) prefixes.push([a, b]);
  }
  const out = new Map<string, { name: string; source: string }>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.lua'))) {
    for (const prefix of prefixes) {
      const source = [...prefix, read(file)].join('\n');
      out.set(createHash('sha1').update(source).digest('hex'), { name: file.replace(/\.lua$/, ''), source });
    }
  }
  return out;
}

/** Starts counting in this process (call before the server creates its clients). */
export function countRedisCalls(): void {
  const names = new Map([...scriptSources()].map(([sha, s]) => [sha, s.name]));
  const require = createRequire(import.meta.url);
  const { Redis } = require('ioredis') as { Redis: { prototype: Record<string, unknown> } };
  const proto = Redis.prototype as { sendCommand: (command: Command, stream?: object, ...rest: unknown[]) => unknown };
  const send = proto.sendCommand;
  const pipelines = new WeakSet<object>();
  proto.sendCommand = function (this: unknown, command: Command, stream?: object, ...rest: unknown[]) {
    let name = command.name.toLowerCase();
    if (name === 'evalsha') name = `evalsha ${names.get(String(command.args[0])) ?? 'unknown script'}`;
    else if (name === 'eval') name = 'eval (first use of a script)';
    counts.commands[name] = (counts.commands[name] ?? 0) + 1;
    // Pipelined commands share the `stream` write context; a pipeline is one round trip however long.
    if (!stream) counts.roundTrips++;
    else if (!pipelines.has(stream)) {
      pipelines.add(stream);
      counts.roundTrips++;
    }
    return send.call(this, command, stream, ...rest);
  };
}

interface Command {
  name: string;
  args: unknown[];
}

/** A copy of the counts so far. */
export function redisCallCounts(): RedisCallCounts {
  return { commands: { ...counts.commands }, roundTrips: counts.roundTrips };
}
