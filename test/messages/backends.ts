import { after, type TestContext } from 'node:test';
import type { ServerOptions } from '../../src/server/create-server.ts';
import { startNodes } from '../cluster/cluster-helpers.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

/** One backend the message features are tested on: two servers to connect clients to (one node twice in memory). */
export interface Backend {
  name: string;
  skip: string | false;
  start(t: TestContext, overrides?: ServerOptions): Promise<[TestServer, TestServer]>;
}

const redisSkipped = redisSkip();
// Started at load time so its teardown belongs to the whole test file, not to one test.
const redis = (redisSkipped ? undefined : await startRedis({ after })) as TestRedis;

/** Memory (one node) and Redis (two nodes sharing one `redis-server`, started once per test file). */
export const BACKENDS: Backend[] = [
  {
    name: 'memory',
    skip: false,
    start: async (t, overrides) => {
      const s = await startServer(t, overrides);
      return [s, s];
    },
  },
  {
    name: 'redis (two nodes)',
    skip: redisSkipped,
    start: async (t, overrides) => {
      const [a, b] = await startNodes(t, redis.url, redis.prefix(t), 2, overrides);
      return [a as TestServer, b as TestServer];
    },
  },
];
