import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../time/manual-clock.ts';
import { PublishDedupe } from './publish-dedupe.ts';

test('a repeated key gets the first result without publishing again', async () => {
  const dedupe = new PublishDedupe<string>(new ManualClock());
  let runs = 0;
  const publish = async () => `result-${++runs}`;
  assert.equal(await dedupe.once('k', publish), 'result-1');
  assert.equal(await dedupe.once('k', publish), 'result-1');
  assert.equal(await dedupe.once('other', publish), 'result-2');
  assert.equal(runs, 2);
});

test('a concurrent duplicate waits for the first publish instead of running its own', async () => {
  const dedupe = new PublishDedupe<number>(new ManualClock());
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const publish = async () => {
    runs++;
    await gate;
    return runs;
  };
  const a = dedupe.once('k', publish);
  const b = dedupe.once('k', publish);
  release();
  assert.deepEqual(await Promise.all([a, b]), [1, 1]);
  assert.equal(runs, 1);
});

test('a failed publish is forgotten so the retry runs', async () => {
  const dedupe = new PublishDedupe<string>(new ManualClock());
  await assert.rejects(dedupe.once('k', async () => Promise.reject(new Error('broker down'))));
  assert.equal(await dedupe.once('k', async () => 'ok'), 'ok');
});

test('keys expire after the window and beyond the capacity', async () => {
  const clock = new ManualClock();
  const dedupe = new PublishDedupe<string>(clock, 1000, 2);
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
