import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorInfo } from '../errors/index.ts';
import { isEmptyDiff, type PresenceMember } from './member.ts';
import { PresenceSet } from './presence-set.ts';

let msgSerial = 0;
/** A member written by a fresh operation of its connection (each call a newer msgSerial). */
const member = (clientId: string, connectionId: string, extra: Partial<PresenceMember> = {}): PresenceMember => ({
  id: `${connectionId}:${msgSerial++}:0`,
  clientId,
  connectionId,
  data: `${clientId}-data`,
  timestamp: 1000,
  ...extra,
});

test('enter adds a member and reports it as entered', () => {
  const set = new PresenceSet();
  const m = member('alice', 'c1');
  const diff = set.upsert(m);
  assert.deepEqual(diff, { entered: [m], updated: [], left: [] });
  assert.equal(set.size, 1);
  assert.deepEqual(set.get('alice', 'c1'), m);
  assert.equal(set.hasConnection('c1'), true);
});

test('entering again is an update carrying the new data', () => {
  const set = new PresenceSet();
  set.upsert(member('alice', 'c1'));
  const next = member('alice', 'c1', { data: 'v2', timestamp: 2000 });
  const diff = set.upsert(next);
  assert.deepEqual(diff, { entered: [], updated: [next], left: [] });
  assert.equal(set.size, 1);
  assert.equal(set.get('alice', 'c1')?.data, 'v2');
});

test('re-entry with the current member id is not broadcast and changes nothing', () => {
  const set = new PresenceSet();
  const m = member('alice', 'c1', { id: 'c1:0:0' });
  set.upsert(m);
  const diff = set.upsert(member('alice', 'c1', { id: 'c1:5:0', data: 'other', timestamp: 9000 }), Infinity, 'c1:0:0');
  assert.equal(isEmptyDiff(diff), true);
  assert.deepEqual(set.get('alice', 'c1'), m);
});

test('re-entry with an id that is not the current one is an ordinary update', () => {
  const set = new PresenceSet();
  set.upsert(member('alice', 'c1', { id: 'c1:0:0' }));
  const next = member('alice', 'c1', { id: 'c1:3:0', data: 'v3' });
  const diff = set.upsert(next, Infinity, 'c1:2:0');
  assert.deepEqual(diff.updated, [next]);
});

test('re-entry of an absent member is an enter', () => {
  const set = new PresenceSet();
  const m = member('alice', 'c1', { id: 'c1:0:0' });
  assert.deepEqual(set.upsert(m, Infinity, 'c1:0:0').entered, [m]);
});

test('leave without data carries the last data (RTP8e)', () => {
  const set = new PresenceSet();
  set.upsert(member('alice', 'c1', { data: 'last', encoding: 'json' }));
  const diff = set.leave('alice', 'c1', { id: 'c1:999999:0', timestamp: 3000 });
  assert.equal(diff.left.length, 1);
  const left = diff.left[0]!;
  assert.equal(left.clientId, 'alice');
  assert.equal(left.connectionId, 'c1');
  assert.deepEqual(left.leave, { id: 'c1:999999:0', timestamp: 3000, data: 'last', encoding: 'json' });
  assert.equal(set.size, 0);
  assert.equal(set.hasConnection('c1'), false);
});

test('leave with its own data keeps that data', () => {
  const set = new PresenceSet();
  set.upsert(member('alice', 'c1', { data: 'last', encoding: 'json' }));
  const diff = set.leave('alice', 'c1', { timestamp: 3000, data: 'bye' });
  assert.equal(diff.left[0]?.leave.data, 'bye');
  assert.equal(diff.left[0]?.leave.encoding, undefined);
});

test('leave of an absent member is an empty diff', () => {
  const set = new PresenceSet();
  set.upsert(member('alice', 'c1'));
  assert.equal(isEmptyDiff(set.leave('bob', 'c1', { timestamp: 1 })), true);
  assert.equal(isEmptyDiff(set.leave('alice', 'c2', { timestamp: 1 })), true);
  assert.equal(set.size, 1);
});

test('removeConnection removes every member of that connection only, each with its last data', () => {
  const set = new PresenceSet();
  set.upsert(member('alice', 'c1', { data: 'a' }));
  set.upsert(member('bob', 'c1', { data: 'b' }));
  set.upsert(member('carol', 'c2', { data: 'c' }));
  const diff = set.removeConnection('c1', 5000);
  assert.deepEqual(diff.left.map((m) => [m.clientId, m.leave.data, m.leave.timestamp]).sort(), [
    ['alice', 'a', 5000],
    ['bob', 'b', 5000],
  ]);
  assert.equal(set.size, 1);
  assert.equal(set.hasConnection('c1'), false);
  assert.ok(set.get('carol', 'c2'));
  assert.equal(isEmptyDiff(set.removeConnection('c1', 6000)), true);
});

test('the member limit refuses new members with 91003 but still allows updates', () => {
  const set = new PresenceSet();
  set.upsert(member('a', 'c1'), 2);
  set.upsert(member('b', 'c2'), 2);
  assert.throws(
    () => set.upsert(member('c', 'c3'), 2),
    (err) => err instanceof ErrorInfo && err.code === 91003,
  );
  assert.equal(set.size, 2);
  assert.equal(set.hasConnection('c3'), false);
  assert.deepEqual(set.upsert(member('a', 'c1', { data: 'new' }), 2).updated.length, 1);
  set.leave('b', 'c2', { timestamp: 1 });
  assert.equal(set.upsert(member('c', 'c3'), 2).entered.length, 1);
});

test('one clientId on two devices is two members; one leaving keeps the other', () => {
  const set = new PresenceSet();
  set.upsert(member('alice', 'phone'));
  const laptop = member('alice', 'laptop');
  assert.deepEqual(set.upsert(laptop).entered, [laptop]);
  assert.equal(set.size, 2);
  const diff = set.leave('alice', 'phone', { timestamp: 1 });
  assert.equal(diff.left[0]?.connectionId, 'phone');
  assert.deepEqual([...set.members()], [laptop]);
});

/** A member as written by operation `<connectionId>:<msgSerial>:<index>`. */
const op = (clientId: string, connectionId: string, msgSerial: number, data: string, index = 0): PresenceMember => ({
  id: `${connectionId}:${msgSerial}:${index}`,
  clientId,
  connectionId,
  data,
  timestamp: 1000 + msgSerial,
});

test('newness: updates older than the last applied one (by msgSerial, then index) change nothing', () => {
  const set = new PresenceSet();
  set.upsert(op('alice', 'c1', 8, 'v8'));
  set.upsert(op('alice', 'c1', 9, 'v9', 1));
  assert.equal(isEmptyDiff(set.upsert(op('alice', 'c1', 9, 'v9-0', 0))), true);
  assert.equal(isEmptyDiff(set.upsert(op('alice', 'c1', 9, 'again', 1))), true);
  assert.equal(isEmptyDiff(set.upsert(op('alice', 'c1', 12, 'v8'), Infinity, 'c1:8:0')), true);
  assert.equal(set.get('alice', 'c1')?.data, 'v9');
  assert.equal(set.upsert(op('alice', 'c1', 10, 'v10')).updated.length, 1);
});

test('newness: a LEAVE older than the last applied operation is ignored', () => {
  const set = new PresenceSet();
  set.upsert(op('alice', 'c1', 5, 'v5'));
  assert.equal(isEmptyDiff(set.leave('alice', 'c1', { id: 'c1:4:0', timestamp: 1 })), true);
  assert.equal(set.size, 1);
});

test('newness: a replayed ENTER of a member that left explicitly does not resurrect it', () => {
  const set = new PresenceSet();
  set.upsert(op('alice', 'c1', 4, 'v4'));
  set.leave('alice', 'c1', { id: 'c1:5:0', timestamp: 2 });
  assert.equal(isEmptyDiff(set.upsert(op('alice', 'c1', 6, 'v4'), Infinity, 'c1:4:0')), true);
  assert.equal(set.size, 0);
  assert.equal(set.upsert(op('alice', 'c1', 7, 'v7')).entered.length, 1);
});

test('newness: after a server removal, a stale re-entry comes back with the newest applied data', () => {
  const set = new PresenceSet();
  set.upsert(op('alice', 'c1', 8, 'v8'));
  set.upsert({ ...op('alice', 'c1', 9, 'v9'), encoding: 'json', extras: { n: 9 } });
  set.removeConnection('c1', 100);
  const diff = set.upsert(op('alice', 'c1', 12, 'v8'), Infinity, 'c1:8:0');
  assert.deepEqual(diff.entered, [{ ...op('alice', 'c1', 12, 'v9'), encoding: 'json', extras: { n: 9 } }]);
});

test('newness: a LEAVE sent while the member was away is remembered against older re-entries', () => {
  const set = new PresenceSet();
  set.upsert(op('alice', 'c1', 3, 'v3'));
  set.removeConnection('c1', 100);
  assert.equal(isEmptyDiff(set.leave('alice', 'c1', { id: 'c1:4:0', timestamp: 101 })), true);
  assert.equal(isEmptyDiff(set.upsert(op('alice', 'c1', 5, 'v3'), Infinity, 'c1:3:0')), true);
});

test('newness: forgetConnection drops departed records; the set is empty only without them', () => {
  const set = new PresenceSet();
  set.upsert(op('alice', 'c1', 1, 'v1'));
  set.leave('alice', 'c1', { id: 'c1:2:0', timestamp: 1 });
  assert.equal(set.size, 0);
  assert.equal(set.isEmpty, false);
  assert.equal(set.knowsConnection('c1'), true);
  set.forgetConnection('c1');
  assert.equal(set.isEmpty, true);
  assert.equal(set.knowsConnection('c1'), false);
  // Forgotten: a replay is now an ordinary ENTER (the connection could not be resumed to send one).
  assert.equal(set.upsert(op('alice', 'c1', 1, 'v1'), Infinity, 'c1:1:0').entered.length, 1);
});

test('newness: ids of other shapes or connections never count as stale', () => {
  const set = new PresenceSet();
  set.upsert({ ...op('alice', 'c1', 0, 'fixture'), id: 'fixture' });
  assert.equal(set.upsert(op('alice', 'c1', 1, 'v1')).updated.length, 1);
  assert.equal(set.upsert(op('alice', 'c1', 2, 'v2'), Infinity, 'other:99:0').updated.length, 1);
});

test('paging by entry stamp stays in entry order across removals that compact the order', () => {
  const set = new PresenceSet();
  for (let i = 0; i < 200; i++) set.upsert({ id: `c:${i}:0`, clientId: `u${i}`, connectionId: 'c', timestamp: i });
  for (let i = 0; i < 200; i++) if (i % 4 !== 0) set.leave(`u${i}`, 'c', { timestamp: 1 });
  const seen: string[] = [];
  let after = 0;
  for (;;) {
    const page = set.page(after, 7);
    seen.push(...page.members.map((m) => m.clientId));
    if (page.next === undefined) break;
    after = page.next;
  }
  assert.deepEqual(
    seen,
    Array.from({ length: 50 }, (_, i) => `u${i * 4}`),
  );
});
