import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { parseRedisTarget } from '../../src/config/redis-target.ts';
import {
  closeRedisClients,
  connectRedisClients,
  createRedisClients,
  type RedisClients,
} from '../../src/store/redis/redis-client.ts';

/** A `redis-server` process owned by one test file: stoppable and restartable on the same port. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM, no persistence: its data is gone). Resolves once the process has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** A unique key prefix for one test; its keys are deleted when that test ends. */
  prefix(t: TestContext): string;
}

let available: boolean | undefined;

/** Whether `redis-server` can be run here. */
export function hasRedisServer(): boolean {
  if (available === undefined) {
    try {
      execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/**
 * The `skip` option for a suite that needs Redis. Under CI a missing `redis-server` is a failure: the loud message
 * below is what `.ci/run` looks for.
 */
export function redisSkip(): string | false {
  if (hasRedisServer()) return false;
  const message = 'redis-server not found: the Redis suites cannot run';
  if (process.env.CI === 'true') {
    console.error(`\n*** REQUIRED SUITE SKIPPED: ${message} ***\n`);
  }
  return message;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; it is released before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a private `redis-server` on a free port; it is stopped when the suite (the given context) ends. */
export async function startRedis(t: { after(fn: () => unknown): void }): Promise<TestRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const launch = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      proc = child;
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
    });
  const stop = async (): Promise<void> => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  };
  await launch();
  t.after(stop);
  const url = `redis://127.0.0.1:${port}`;
  return {
    port,
    url,
    stop,
    start: launch,
    prefix(tc) {
      const prefix = `t${randomBytes(4).toString('hex')}:`;
      tc.after(() => deletePrefix(port, prefix));
      return prefix;
    },
  };
}

/** Deletes every key under `prefix` with redis-cli (so cleanup needs no client from the code under test). */
function deletePrefix(port: number, prefix: string): void {
  try {
    execFileSync(
      'redis-cli',
      [
        '-p',
        String(port),
        'EVAL',
        "for _,k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end",
        '0',
        `${prefix}*`,
      ],
      { stdio: 'ignore' },
    );
  } catch {
    // The server may be stopped already: its data is gone with it.
  }
}

/** Fresh, connected Redis clients of Rollcall's own kind for `url` (any topology), closed when the test ends. */
export async function connectedClients(t: { after(fn: () => unknown): void }, url: string): Promise<RedisClients> {
  const clients = createRedisClients(parseRedisTarget(url));
  await connectRedisClients(clients);
  t.after(() => closeRedisClients(clients));
  return clients;
}
