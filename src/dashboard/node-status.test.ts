import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeStatuses } from './node-status.ts';

const base = {
  selfId: 'a',
  selfHealthy: true,
  selfConnections: 7,
  now: 100_000,
  heartbeatInterval: 2_000,
  nodeDownTimeout: 10_000,
};

test('this node first with its connections; others by heartbeat age: up, late (> 2 beats), down (> nodeDownTimeout)', () => {
  const beats = [
    { nodeId: 'd', lastBeat: 100_000 - 10_001 },
    { nodeId: 'a', lastBeat: 99_000 },
    { nodeId: 'c', lastBeat: 100_000 - 4_001 },
    { nodeId: 'b', lastBeat: 100_000 - 4_000 },
  ];
  assert.deepEqual(
    nodeStatuses({ ...base, beats }).map((n) => [n.nodeId, n.self, n.status, n.connections]),
    [
      ['a', true, 'up', 7],
      ['b', false, 'up', undefined],
      ['c', false, 'late', undefined],
      ['d', false, 'down', undefined],
    ],
  );
});

test('single node (no registry): this node alone; a node cut off from Redis says so', () => {
  assert.deepEqual(nodeStatuses({ ...base, beats: [] }), [
    { nodeId: 'a', self: true, status: 'up', lastBeat: 100_000, connections: 7 },
  ]);
  assert.equal(nodeStatuses({ ...base, beats: [], selfHealthy: false })[0]?.status, 'cut-off');
});
