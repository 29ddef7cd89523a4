import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from './manual-clock.ts';

test('time moves only on advance', () => {
  const clock = new ManualClock(1000);
  assert.equal(clock.now(), 1000);
  assert.equal(clock.now(), 1000);
  clock.advance(250);
  assert.equal(clock.now(), 1250);
});

test('a timeout fires once, when its deadline is reached, with now() at the deadline', () => {
  const clock = new ManualClock(0);
  const fired: number[] = [];
  clock.setTimeout(() => fired.push(clock.now()), 100);
  clock.advance(99);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, [100]);
  clock.advance(1000);
  assert.deepEqual(fired, [100]);
  assert.equal(clock.pendingTimers, 0);
});

test('timers fire in deadline order within one advance', () => {
  const clock = new ManualClock(0);
  const order: string[] = [];
  clock.setTimeout(() => order.push('c'), 30);
  clock.setTimeout(() => order.push('a'), 10);
  clock.setTimeout(() => order.push('b'), 20);
  clock.advance(100);
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.equal(clock.now(), 100);
});

test('cleared timeouts and intervals never fire', () => {
  const clock = new ManualClock(0);
  let fired = 0;
  const t = clock.setTimeout(() => fired++, 10);
  const i = clock.setInterval(() => fired++, 10);
  clock.clearTimeout(t);
  clock.clearInterval(i);
  clock.advance(100);
  assert.equal(fired, 0);
  assert.equal(clock.pendingTimers, 0);
});

test('an interval fires once per period until cleared', () => {
  const clock = new ManualClock(0);
  const at: number[] = [];
  const handle = clock.setInterval(() => at.push(clock.now()), 10);
  clock.advance(35);
  assert.deepEqual(at, [10, 20, 30]);
  clock.clearInterval(handle);
  clock.advance(100);
  assert.deepEqual(at, [10, 20, 30]);
});

test('a timer scheduled by a firing timer runs in the same advance if it falls due', () => {
  const clock = new ManualClock(0);
  const at: number[] = [];
  clock.setTimeout(() => {
    at.push(clock.now());
    clock.setTimeout(() => at.push(clock.now()), 5);
  }, 10);
  clock.advance(20);
  assert.deepEqual(at, [10, 15]);
});

test('an interval can clear itself from inside its callback', () => {
  const clock = new ManualClock(0);
  let runs = 0;
  const handle = clock.setInterval(() => {
    if (++runs === 2) clock.clearInterval(handle);
  }, 10);
  clock.advance(100);
  assert.equal(runs, 2);
});

test('negative and zero delays fire on the next advance', () => {
  const clock = new ManualClock(0);
  let fired = 0;
  clock.setTimeout(() => fired++, -5);
  clock.setTimeout(() => fired++, 0);
  clock.advance(0);
  assert.equal(fired, 2);
});
