import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MODES, Flag } from '../protocol/index.ts';
import {
  addCounts,
  channelMetrics,
  countAttachments,
  decodeCounts,
  encodeCounts,
  NO_ATTACHMENTS,
  occupancyMetrics,
} from './metrics.ts';

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

test('counts of several nodes add up and survive their stored form', () => {
  const a = countAttachments([DEFAULT_MODES, Flag.SUBSCRIBE]);
  const b = countAttachments([Flag.PRESENCE]);
  const sum = addCounts(decodeCounts(encodeCounts(a)), decodeCounts(encodeCounts(b)));
  assert.deepEqual(channelMetrics(sum, 1), {
    connections: 3,
    publishers: 1,
    subscribers: 2,
    presenceConnections: 2,
    presenceMembers: 1,
    presenceSubscribers: 1,
  });
});

test('a malformed stored form counts as nothing', () => {
  for (const bad of ['', '1,2', '1,2,3,4,x', '1,2,3,4,-1', '1,2,3,4,5,6']) assert.deepEqual(decodeCounts(bad), NO_ATTACHMENTS);
});
