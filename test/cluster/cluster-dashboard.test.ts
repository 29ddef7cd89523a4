import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ChannelRow } from '../../src/dashboard/channel-rows.ts';
import type { NodeStatus } from '../../src/dashboard/node-status.ts';
import { latest, loginWithKey, openStream } from '../helpers/dashboard.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { TEST_KEY } from '../helpers/server.ts';
import { clientFor, FAST_CLUSTER, spawnNode, startNodes } from './cluster-helpers.ts';

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

  it('lists channels used only on another node, with the whole cluster’s connections and members', async (t) => {
    const [a, b] = await startNodes(t, redis.url, redis.prefix(t), 2, { dashboardPushInterval: 20, occupancyEventInterval: 20 });
    const { token } = await loginWithKey(a!.port, TEST_KEY);
    const events = await openStream(t, a!.port, token);
    // Two devices of one user on node b; node a has no attachment on the channel at all.
    const devices = [0, 1].map((i) => clientFor(t, b!.port, { clientId: 'ann', useBinaryProtocol: i === 0 }));
    await Promise.all(devices.map((c, i) => c.channels.get('far-room').presence.enter({ device: `d${i}` })));
    const row = await latest<{ upsert: ChannelRow[] }>(events, 'channels', (d) =>
      d.upsert.some((r) => r.name === 'far-room' && r.connections === 2),
    );
    assert.deepEqual(
      row.upsert.find((r) => r.name === 'far-room'),
      { name: 'far-room', connections: 2, members: 2, users: 1 },
    );
  });
});
