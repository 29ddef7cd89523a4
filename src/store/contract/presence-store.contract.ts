import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { ErrorInfo } from '../../errors/index.ts';
import type { PresenceMember } from '../../presence/member.ts';
import type { PresenceStore } from '../presence-store.ts';
import { presencePagingCases } from './presence-paging.cases.ts';

/** Two views of one backend: `store` and `peer` act as two nodes (for a single-node backend, the same object). */
export interface PresenceStoreHarness {
  store: PresenceStore;
  peer: PresenceStore;
}

export interface PresenceStoreContractOptions {
  name: string;
  /** A fresh, empty backend for one test; release it with `t.after`. */
  create(t: TestContext): Promise<PresenceStoreHarness>;
  /** Cases this backend cannot meet, each with the reason. */
  skip?: Partial<Record<PresenceStoreCase, string>>;
  /** Skips the whole suite (e.g. no redis-server here), with the reason. */
  skipAll?: string | false;
}

export type PresenceStoreCase = 'concurrent-removal-once' | 'member-limit-race';

const CH = 'app:room';
let n = 0;
const member = (clientId: string, connectionId: string, data?: unknown): PresenceMember => ({
  id: `${connectionId}:${n++}:0`,
  clientId,
  connectionId,
  timestamp: 1_700_000_000_000 + n,
  ...(data === undefined ? {} : { data: data as string }),
});
/** A member written by operation `<connectionId>:<msgSerial>:0`. */
const op = (clientId: string, connectionId: string, msgSerial: number, data: string): PresenceMember => ({
  id: `${connectionId}:${msgSerial}:0`,
  clientId,
  connectionId,
  timestamp: 1_700_000_000_000 + msgSerial,
  data,
});
const isEmpty = (d: { entered: unknown[]; updated: unknown[]; left: unknown[] }) =>
  d.entered.length + d.updated.length + d.left.length === 0;
const keysOf = (members: PresenceMember[]) => members.map((m) => `${m.clientId}:${m.connectionId}`).sort();

/** The PresenceStore contract (STYLE habit 2): every backend runs exactly these cases. */
export function runPresenceStoreContract(o: PresenceStoreContractOptions): void {
  const skip = (c: PresenceStoreCase) => o.skip?.[c] ?? false;
  describe(`PresenceStore contract: ${o.name}`, { skip: o.skipAll ?? false }, () => {
    it('ENTER adds, a second ENTER updates, a re-entry with the current id is silent', async (t) => {
      const { store } = await o.create(t);
      const first = member('alice', 'c1', 'one');
      assert.deepEqual((await store.upsert(CH, first, 100)).entered, [first]);
      const second = member('alice', 'c1', 'two');
      const diff = await store.upsert(CH, second, 100);
      assert.deepEqual(diff.updated, [second]);
      assert.equal(diff.entered.length, 0);
      const again = await store.upsert(CH, member('alice', 'c1', 'three'), 100, second.id);
      assert.deepEqual(again, { entered: [], updated: [], left: [] });
      assert.deepEqual(await store.members(CH), [second]);
      assert.equal(await store.count(CH), 1);
    });

    it('one clientId on two connections is two members; channels are separate', async (t) => {
      const { store } = await o.create(t);
      await store.upsert(CH, member('alice', 'c1'), 100);
      await store.upsert(CH, member('alice', 'c2'), 100);
      await store.upsert('app:other', member('bob', 'c1'), 100);
      assert.deepEqual(keysOf(await store.members(CH)), ['alice:c1', 'alice:c2']);
      assert.deepEqual(keysOf(await store.members('app:other')), ['bob:c1']);
      assert.deepEqual(await store.members('app:empty'), []);
      assert.equal(await store.count('app:empty'), 0);
    });

    it('keeps every field, binary data and extras included', async (t) => {
      const { store, peer } = await o.create(t);
      const m: PresenceMember = {
        ...member('alice', 'c1'),
        data: Buffer.from([0, 1, 2, 255]),
        encoding: 'utf-8/cipher',
        extras: { headers: { a: 1 } },
      };
      await store.upsert(CH, m, 100);
      const [got] = await peer.members(CH);
      assert.ok(got);
      assert.ok(Buffer.isBuffer(got.data) || (got.data as unknown) instanceof Uint8Array);
      assert.deepEqual(Buffer.from(got.data as Uint8Array), m.data);
      assert.deepEqual({ ...got, data: undefined }, { ...m, data: undefined });
    });

    it('throws 91003 at the member limit; updates are still allowed', async (t) => {
      const { store } = await o.create(t);
      await store.upsert(CH, member('a', 'c1'), 2);
      await store.upsert(CH, member('b', 'c1'), 2);
      await assert.rejects(store.upsert(CH, member('c', 'c1'), 2), (e: unknown) => e instanceof ErrorInfo && e.code === 91003);
      assert.equal((await store.upsert(CH, member('a', 'c1', 'x'), 2)).updated.length, 1);
      assert.equal(await store.count(CH), 2);
    });

    it('LEAVE removes the member, carrying its data when the leave has none; absent members give an empty diff', async (t) => {
      const { store } = await o.create(t);
      const m = member('alice', 'c1', 'last');
      await store.upsert(CH, m, 100);
      const leaveId = `c1:${n++}:0`;
      const diff = await store.leave(CH, 'alice', 'c1', { id: leaveId, timestamp: 5 });
      assert.equal(diff.left.length, 1);
      assert.deepEqual(diff.left[0]?.leave, { id: leaveId, timestamp: 5, data: 'last', encoding: undefined });
      assert.equal(diff.left[0]?.id, m.id);
      assert.deepEqual((await store.leave(CH, 'alice', 'c1', { timestamp: 6 })).left, []);
      await store.upsert(CH, member('bob', 'c1', 'old'), 100);
      const own = await store.leave(CH, 'bob', 'c1', { timestamp: 7, data: 'bye' });
      assert.equal(own.left[0]?.leave.data, 'bye');
      assert.equal(await store.count(CH), 0);
    });

    it('removeConnectionFromChannel removes only that connection on that channel', async (t) => {
      const { store } = await o.create(t);
      await store.upsert(CH, member('a', 'c1', 'da'), 100);
      await store.upsert(CH, member('b', 'c1'), 100);
      await store.upsert(CH, member('a', 'c2'), 100);
      await store.upsert('app:other', member('a', 'c1'), 100);
      const diff = await store.removeConnectionFromChannel(CH, 'c1', 42);
      assert.deepEqual(keysOf(diff.left), ['a:c1', 'b:c1']);
      const a = diff.left.find((m) => m.clientId === 'a');
      assert.deepEqual(a?.leave, { timestamp: 42, data: 'da', encoding: undefined });
      assert.deepEqual(keysOf(await store.members(CH)), ['a:c2']);
      assert.equal(await store.count('app:other'), 1);
      assert.deepEqual((await store.removeConnectionFromChannel(CH, 'c1', 43)).left, []);
    });

    it('removeConnection removes the connection everywhere, per channel, and nothing else', async (t) => {
      const { store } = await o.create(t);
      await store.upsert(CH, member('a', 'c1'), 100);
      await store.upsert('app:other', member('a', 'c1'), 100);
      await store.upsert('app:other', member('b', 'c2'), 100);
      const removed = await store.removeConnection('c1', 9);
      assert.deepEqual(removed.map((r) => r.channel).sort(), ['app:other', CH].sort());
      for (const r of removed) assert.deepEqual(keysOf(r.diff.left), ['a:c1']);
      assert.equal(await store.count(CH), 0);
      assert.deepEqual(keysOf(await store.members('app:other')), ['b:c2']);
      const again = await store.removeConnection('c1', 10);
      assert.equal(
        again.reduce((s, r) => s + r.diff.left.length, 0),
        0,
      );
    });

    it('newness: an operation older than the last one applied to the member changes nothing', async (t) => {
      const { store, peer } = await o.create(t);
      const v8 = op('alice', 'c1', 8, 'v8');
      const v9 = op('alice', 'c1', 9, 'v9');
      await store.upsert(CH, v8, 100);
      assert.deepEqual((await store.upsert(CH, v9, 100)).updated, [v9]);
      // The SDK re-enters (RTP17) with the last message it received, v8, after a cut hid v9's broadcast.
      assert.equal(isEmpty(await peer.upsert(CH, op('alice', 'c1', 12, 'v8'), 100, v8.id)), true);
      // A retransmitted v9 (same msgSerial) and an older LEAVE are no-ops too.
      assert.equal(isEmpty(await store.upsert(CH, op('alice', 'c1', 9, 'v9'), 100)), true);
      assert.equal(isEmpty(await store.leave(CH, 'alice', 'c1', { id: 'c1:7:0', timestamp: 1 })), true);
      assert.deepEqual(await peer.members(CH), [v9]);
    });

    it('newness: a stale re-entry of a member that left explicitly is ignored', async (t) => {
      const { store, peer } = await o.create(t);
      const v4 = op('alice', 'c1', 4, 'v4');
      await store.upsert(CH, v4, 100);
      assert.equal((await store.leave(CH, 'alice', 'c1', { id: 'c1:5:0', timestamp: 2 })).left.length, 1);
      assert.equal(isEmpty(await peer.upsert(CH, op('alice', 'c1', 6, 'v4'), 100, v4.id)), true);
      assert.deepEqual(await store.members(CH), []);
      // A genuinely new ENTER (no replayed id, newer msgSerial) is applied.
      const v7 = op('alice', 'c1', 7, 'v7');
      assert.deepEqual((await peer.upsert(CH, v7, 100)).entered, [v7]);
    });

    it('newness: a stale re-entry after a server removal comes back with the last applied data', async (t) => {
      const { store, peer } = await o.create(t);
      const v8 = op('alice', 'c1', 8, 'v8');
      const v9 = { ...op('alice', 'c1', 9, 'v9'), extras: { headers: { n: 9 } } };
      await store.upsert(CH, v8, 100);
      await store.upsert(CH, v9, 100);
      assert.equal((await store.removeConnectionFromChannel(CH, 'c1', 50)).left.length, 1); // grace period over
      const reentry = op('alice', 'c1', 12, 'v8');
      const diff = await peer.upsert(CH, reentry, 100, v8.id);
      const back = { ...reentry, data: 'v9', extras: { headers: { n: 9 } } };
      assert.deepEqual(diff.entered, [back]);
      assert.deepEqual(await store.members(CH), [back]);
    });

    it('newness: a LEAVE of a member the server removed blocks its older re-entry', async (t) => {
      const { store } = await o.create(t);
      const v3 = op('alice', 'c1', 3, 'v3');
      await store.upsert(CH, v3, 100);
      await store.removeConnection('c1', 10);
      assert.equal(isEmpty(await store.leave(CH, 'alice', 'c1', { id: 'c1:4:0', timestamp: 11 })), true);
      assert.equal(isEmpty(await store.upsert(CH, op('alice', 'c1', 5, 'v3'), 100, v3.id)), true);
      assert.equal(await store.count(CH), 0);
    });

    it('newness: ids of another shape or another connection are never stale', async (t) => {
      const { store } = await o.create(t);
      await store.upsert(CH, { ...op('alice', 'c1', 9, 'fixture'), id: 'fixture-1' }, 100);
      const v1 = op('alice', 'c1', 1, 'v1');
      assert.deepEqual((await store.upsert(CH, v1, 100)).updated, [v1]);
      const v2 = op('alice', 'c1', 2, 'v2');
      assert.deepEqual((await store.upsert(CH, v2, 100, 'c0:50:0')).updated, [v2]);
    });

    it('the other node sees the same members', async (t) => {
      const { store, peer } = await o.create(t);
      await store.upsert(CH, member('a', 'c1'), 100);
      await peer.upsert(CH, member('b', 'c2'), 100);
      assert.deepEqual(keysOf(await store.members(CH)), keysOf(await peer.members(CH)));
      assert.equal(await peer.count(CH), 2);
    });

    it('concurrent removals of one connection from two nodes leave each member exactly once', {
      skip: skip('concurrent-removal-once'),
    }, async (t) => {
      const { store, peer } = await o.create(t);
      for (let i = 0; i < 50; i++) await store.upsert(CH, member(`u${i}`, 'c1'), 1000);
      const diffs = await Promise.all([
        store.removeConnectionFromChannel(CH, 'c1', 1),
        peer.removeConnectionFromChannel(CH, 'c1', 1),
        store.removeConnectionFromChannel(CH, 'c1', 1),
      ]);
      const left = diffs.flatMap((d) => d.left);
      assert.equal(left.length, 50);
      assert.equal(new Set(keysOf(left)).size, 50);
    });

    it('concurrent ENTERs from two nodes never exceed the member limit', { skip: skip('member-limit-race') }, async (t) => {
      const { store, peer } = await o.create(t);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? store : peer).upsert(CH, member(`u${i}`, `c${i}`), 10)),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
      assert.equal(await store.count(CH), 10);
    });

    presencePagingCases(o.create);
  });
}
