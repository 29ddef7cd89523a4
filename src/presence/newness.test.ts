import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareVersions, isStale, opVersion } from './newness.ts';

test('opVersion reads `<connectionId>:<msgSerial>:<index>` of that connection only', () => {
  assert.deepEqual(opVersion('abc-_1:12:3', 'abc-_1'), [12, 3]);
  assert.equal(opVersion('abc:12:3', 'ab'), undefined);
  assert.equal(opVersion('abcd:12:3', 'abc'), undefined);
  assert.equal(opVersion('abc:12', 'abc'), undefined);
  assert.equal(opVersion('abc:x:1', 'abc'), undefined);
  assert.equal(opVersion('srv-1:2:3', 'abc'), undefined);
  assert.equal(opVersion(undefined, 'abc'), undefined);
});

test('versions compare by msgSerial, then index (numerically, not as strings)', () => {
  assert.ok(compareVersions([10, 0], [9, 5]) > 0);
  assert.ok(compareVersions([9, 10], [9, 9]) > 0);
  assert.equal(compareVersions([3, 1], [3, 1]), 0);
  assert.ok(compareVersions([2, 0], [10, 0]) < 0);
});

test('isStale: same or older is stale; unknown versions never are', () => {
  assert.equal(isStale([3, 0], [3, 0]), true);
  assert.equal(isStale([2, 9], [3, 0]), true);
  assert.equal(isStale([3, 1], [3, 0]), false);
  assert.equal(isStale(undefined, [3, 0]), false);
  assert.equal(isStale([3, 0], undefined), false);
});
