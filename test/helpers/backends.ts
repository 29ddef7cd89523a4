import type { TestContext } from 'node:test';
import type { ServerOptions } from '../../src/server/create-server.ts';
import { redisSkip, type TestRedis } from './redis.ts';
import { startServer, type TestServer } from './server.ts';

/**
 * The two ways to run Rollcall that SDK suites are checked against: one node in memory, and two nodes sharing a
 * real Redis, where the suite puts its two users on different nodes so every feature also crosses nodes.
 */
export interface Backend {
  name: string;
  /** Why the suite cannot run here (no redis-server); false when it can. */
  skip: string | false;
  /** Starts the servers; `ports[0]` is user A's node and `ports[1]` user B's (the same port in memory). */
  start(t: TestContext, overrides?: ServerOptions): Promise<{ ports: [number, number]; servers: TestServer[] }>;
}

/** `redis` is the file's own redis-server (started at load time with `startRedis`), or undefined when skipped. */
export function sdkBackends(redis: TestRedis | undefined): Backend[] {
  return [
    {
      name: 'memory',
      skip: false,
      start: async (t, overrides = {}) => {
        const s = await startServer(t, overrides);
        return { ports: [s.port, s.port], servers: [s] };
      },
    },
    {
      name: 'redis, two nodes',
      skip: redisSkip(),
      start: async (t, overrides = {}) => {
        if (!redis) throw new Error('redis-server was not started');
        const common: ServerOptions = {
          redisUrl: redis.url,
          redisPrefix: redis.prefix(t),
          nodeHeartbeatInterval: 100,
          nodeDownTimeout: 500,
          memberTtl: 5_000,
          ...overrides,
        };
        const a = await startServer(t, { ...common, serverId: 'sdk-a' });
        const b = await startServer(t, { ...common, serverId: 'sdk-b' });
        return { ports: [a.port, b.port], servers: [a, b] };
      },
    },
  ];
}
