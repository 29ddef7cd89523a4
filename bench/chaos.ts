import { parseArgs } from 'node:util';
import { createServer } from '../src/server/create-server.ts';
import { assertConverged } from '../test/chaos/assert-chaos.ts';
import { CHAOS_CLUSTER, runPresenceChaos } from '../test/chaos/presence-chaos.ts';
import { startRedis } from '../test/helpers/redis.ts';
import { TEST_KEY } from '../test/helpers/server.ts';

/**
 * `npm run chaos [-- --clients 40 --seconds 40 --seed N --nodes 3]`: the presence chaos run of issue 11 at full size
 * (the test suite runs a small one). `--nodes 1` runs one in-memory node; more nodes share a private redis-server
 * started here. Exits non-zero, printing the differences, when a view does not equal the truth.
 */
const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '40' },
    seconds: { type: 'string', default: '40' },
    seed: { type: 'string' },
    nodes: { type: 'string', default: '1' },
  },
});
const seed = Number(values.seed ?? Math.floor(Math.random() * 1_000_000));
const nodeCount = Number(values.nodes);
const teardown: Array<() => unknown> = [];
const after = (fn: () => unknown) => void teardown.push(fn);

const redis = nodeCount > 1 ? await startRedis({ after }) : undefined;
const ports: number[] = [];
for (let i = 0; i < nodeCount; i++) {
  const server = createServer({
    port: 0,
    host: '127.0.0.1',
    keys: [{ key: TEST_KEY }],
    log: (message: string) => console.error(`[node-${i}] ${message}`),
    minRemainPresentFor: 500,
    ...(redis ? { redisUrl: redis.url, redisPrefix: `chaos-${seed}:`, serverId: `node-${i}` } : {}),
    ...(redis ? CHAOS_CLUSTER : {}),
  });
  ports.push((await server.listen()).port);
  after(() => server.close());
}

console.log(`presence chaos: seed ${seed}, ${values.clients} clients, ${values.seconds} s, ${nodeCount} node(s)`);
let status = 0;
try {
  const report = await runPresenceChaos({
    seed,
    clients: Number(values.clients),
    durationMs: Number(values.seconds) * 1000,
    ports,
    remainPresentFor: 1_000,
    channel: 'chaos',
    after,
    log: (line) => console.log(line),
  });
  assertConverged(report, seed);
  console.log(`converged: REST, observer and late joiner equal the truth (${report.truth.size} members)`);
} catch (err) {
  console.error((err as Error).message);
  status = 1;
}
for (const fn of teardown.reverse()) await fn();
process.exit(status);
