import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../time/manual-clock.ts';
import { runPublishDedupeContract } from '../contract/publish-dedupe.contract.ts';
import { MemoryPublishDedupe } from './memory-publish-dedupe.ts';

runPublishDedupeContract({
  name: 'memory',
  create: async () => {
    const dedupe = new MemoryPublishDedupe(new ManualClock());
    return { dedupe, peer: dedupe };
  },
});

test('memory: keys expire after the window and beyond the capacity', async () => {
  const clock = new ManualClock();
  const dedupe = new MemoryPublishDedupe(clock, 1000, 2);
  let runs = 0;
  const publish = async () => `r${++runs}`;
  await dedupe.once('a', publish);
  clock.advance(999);
  assert.equal(await dedupe.once('a', publish), 'r1');
  clock.advance(1);
  assert.equal(await dedupe.once('a', publish), 'r2', 'remembered no longer than the window');
  await dedupe.once('b', publish);
  await dedupe.once('c', publish);
  assert.equal(await dedupe.once('a', publish), 'r5', 'the oldest is dropped once capacity is reached');
});
