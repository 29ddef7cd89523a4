import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MODES, Flag } from '../protocol/index.ts';
import { occupancyMetrics } from './occupancy.ts';

test('an empty channel has zero of everything', () => {
  assert.deepEqual(occupancyMetrics([], 0), {
    connections: 0,
    publishers: 0,
    subscribers: 0,
    presenceConnections: 0,
    presenceMembers: 0,
    presenceSubscribers: 0,
  });
});

test('each mode counts only the attachments granted it', () => {
  const modes = [
    DEFAULT_MODES,
    DEFAULT_MODES,
    Flag.SUBSCRIBE,
    Flag.PUBLISH,
    Flag.PRESENCE | Flag.PRESENCE_SUBSCRIBE,
    Flag.PRESENCE_SUBSCRIBE | Flag.HAS_PRESENCE,
  ];
  assert.deepEqual(occupancyMetrics(modes, 5), {
    connections: 6,
    publishers: 3,
    subscribers: 3,
    presenceConnections: 3,
    presenceMembers: 5,
    presenceSubscribers: 4,
  });
});

test('presence members are reported as given, independent of attachments', () => {
  // A member may outlive its attachment for remainPresentFor after an abrupt drop.
  assert.equal(occupancyMetrics([], 2).presenceMembers, 2);
  assert.equal(occupancyMetrics([], 2).connections, 0);
});
