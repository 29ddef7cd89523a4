import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { NodeStatus } from '../../src/dashboard/node-status.ts';
import { latest, loginWithKey, openStream } from '../helpers/dashboard.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { TEST_KEY } from '../helpers/server.ts';
import { FAST_CLUSTER, spawnNode, startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
const redis = (skip ? undefined : await startRedis({ after })) as TestRedis;

describe('cluster on Redis: the dashboard shows the nodes and their health', { skip }, () => {
  it('lists every node by heartbeat; a killed node turns late or down, then is gone once reaped', async (t) => {
    const prefix = redis.prefix(t);
    const [a] = await startNodes(t, redis.url, prefix, 1, { dashboardPushInterval: 20 });
    const doomed = await spawnNode(t, redis.url, { redisPrefix: prefix, serverId: 'node-doomed', ...FAST_CLUSTER });
    const { token } = await loginWithKey(a!.port, TEST_KEY);
    const events = await openStream(t, a!.port, token);

    const both = await latest<NodeStatus[]>(events, 'nodes', (d) =>
      d.some((n) => n.nodeId === 'node-doomed' && n.status === 'up'),
    );
    assert.deepEqual(
      both.map((n) => [n.nodeId, n.self, n.status]),
      [
        ['node-0', true, 'up'],
        ['node-doomed', false, 'up'],
      ],
    );

    await doomed.kill();
    const from = events.items.length;
    await latest<NodeStatus[]>(events, 'nodes', (d) => d.some((n) => n.nodeId === 'node-doomed' && n.status !== 'up'), from);
    const reaped = await latest<NodeStatus[]>(events, 'nodes', (d) => !d.some((n) => n.nodeId === 'node-doomed'), from);
    assert.deepEqual(
      reaped.map((n) => n.nodeId),
      ['node-0'],
    );
  });
});
