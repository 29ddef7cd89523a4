import { after, describe, it } from 'node:test';
import { assertConverged, chaosSeed } from '../chaos/assert-chaos.ts';
import { CHAOS_CLUSTER, runPresenceChaos } from '../chaos/presence-chaos.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
const redis = (skip ? undefined : await startRedis({ after })) as TestRedis;

// Issue 11 across nodes: the newness rules live in the Redis scripts, and cuts move clients to other nodes, so
// re-entries and retransmits arrive through a node that did not apply the original operation.
describe('presence chaos on three nodes (Redis)', { skip }, () => {
  it('REST, an observer and a late joiner all equal the truth after seeded churn and node moves', async (t) => {
    const seed = chaosSeed();
    const nodes = await startNodes(t, redis.url, redis.prefix(t), 3, { minRemainPresentFor: 500, ...CHAOS_CLUSTER });
    const report = await runPresenceChaos({
      seed,
      clients: 12,
      durationMs: 10_000,
      ports: nodes.map((n) => n.port),
      remainPresentFor: 1_000,
      channel: 'chaos-cluster',
      after: (fn) => t.after(fn),
      log: (line) => console.log(`# ${line}`),
    });
    assertConverged(report, seed);
  });
});
