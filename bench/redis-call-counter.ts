import { createRequire } from 'node:module';
import { LuaScript } from '../src/store/redis/lua-script.ts';
// Loaded for the scripts they build (scriptSources).
import '../src/store/redis/redis-annotation-store.ts';
import '../src/store/redis/redis-broker.ts';
import '../src/store/redis/redis-connection-directory.ts';
import '../src/store/redis/redis-delivery-queue.ts';
import '../src/store/redis/redis-device-registry.ts';
import '../src/store/redis/redis-history-store.ts';
import '../src/store/redis/redis-message-store.ts';
import '../src/store/redis/redis-orphans.ts';
import '../src/store/redis/redis-presence-store.ts';
import '../src/store/redis/redis-publish-dedupe.ts';

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
 * Every script the Redis stores run, by SHA1 with its name and source: the stores' modules build their scripts when
 * loaded (imported above), each with its own list of shared libs.
 */
export function scriptSources(): Map<string, { name: string; source: string }> {
  return LuaScript.built;
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
