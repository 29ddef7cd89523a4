import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from '../config/index.ts';
import { Action } from '../protocol/index.ts';
import { type ClusterMessage, decodeClusterMessage, encodeClusterMessage } from './cluster-message.ts';

test('cluster messages round-trip, binary payloads included; unknown ones decode to undefined', () => {
  const messages: ClusterMessage[] = [
    {
      type: 'channel-event',
      origin: 'c1',
      message: { action: Action.MESSAGE, timestamp: 1_700_000_000_123, messages: [{ data: Buffer.from([0, 255]) as never }] },
    },
    { type: 'connection-moved', connectionId: 'abc', to: 'node-2' },
    { type: 'node-down', nodeId: 'node-1', by: 'node-0' },
  ];
  for (const m of messages) {
    const back = decodeClusterMessage(encodeClusterMessage(m));
    assert.equal(back?.type, m.type);
    if (m.type === 'channel-event' && back?.type === 'channel-event') {
      assert.equal(back.message.timestamp, 1_700_000_000_123);
      assert.deepEqual(Buffer.from(back.message.messages?.[0]?.data as unknown as Uint8Array), Buffer.from([0, 255]));
    } else assert.deepEqual(back, m);
  }
  assert.equal(decodeClusterMessage(encodeClusterMessage({ type: 'from-the-future' } as never)), undefined);
  assert.equal(decodeClusterMessage(Buffer.from([0xc1])), undefined);
});

test('cluster timings are validated against each other', () => {
  assert.throws(() => resolveConfig({ nodeHeartbeatInterval: 1000, nodeDownTimeout: 1500 }), /2 × nodeHeartbeatInterval/);
  assert.throws(() => resolveConfig({ nodeDownTimeout: 10_000, memberTtl: 5_000 }), /memberTtl/);
  assert.throws(() => resolveConfig({ redisUrl: 'localhost:6379' }), /redis:\/\//);
  assert.equal(resolveConfig({ redisUrl: 'redis://127.0.0.1:6379' }).redisUrl, 'redis://127.0.0.1:6379');
});
