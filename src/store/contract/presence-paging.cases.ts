import assert from 'node:assert/strict';
import { it, type TestContext } from 'node:test';
import { prng } from '../../../test/helpers/prng.ts';
import { ErrorInfo } from '../../errors/index.ts';
import type { PresenceMember } from '../../presence/member.ts';
import type { PresenceStore } from '../presence-store.ts';

const CH = 'app:big';
let n = 0;
const member = (clientId: string, connectionId: string, data = 'x'): PresenceMember => ({
  id: `${connectionId}:${n++}:0`,
  clientId,
  connectionId,
  timestamp: 1_700_000_000_000 + n,
  data,
});
const keyOf = (m: PresenceMember) => `${m.clientId}:${m.connectionId}`;

/** Every page from the start, with `between(pageIndex)` run after each page (concurrent changes). */
async function readAll(
  store: PresenceStore,
  limit: number,
  between: (page: number) => Promise<void> = async () => {},
  accept?: (m: PresenceMember) => boolean,
): Promise<PresenceMember[][]> {
  const pages: PresenceMember[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.page(CH, cursor, limit, accept);
    pages.push(page.members);
    cursor = page.next;
    await between(pages.length - 1);
    assert.ok(pages.length < 1000, 'paging must end');
  } while (cursor !== undefined);
  return pages;
}

/**
 * Whole-set reads, versions and stable paging (issue 16): run by every backend inside the PresenceStore contract,
 * with sets of a few dozen members that span many reads (backends are built with a small read size).
 */
export function presencePagingCases(create: (t: TestContext) => Promise<{ store: PresenceStore; peer: PresenceStore }>): void {
  it('members() returns a set bigger than one read exactly once each', async (t) => {
    const { store } = await create(t);
    for (let i = 0; i < 40; i++) await store.upsert(CH, member(`u${i}`, `c${i % 7}`), 1000);
    const keys = (await store.members(CH)).map(keyOf);
    assert.equal(keys.length, 40);
    assert.equal(new Set(keys).size, 40);
  });

  it('members() during concurrent enters, updates and leaves: no duplicate, no member that stayed missed', async (t) => {
    const { store, peer } = await create(t);
    const seed = Number(process.env.ROLLCALL_SEED ?? 16);
    const random = prng(seed);
    const present = new Map<string, PresenceMember>();
    for (let i = 0; i < 60; i++) {
      const m = member(`u${i}`, `c${i % 5}`);
      await store.upsert(CH, m, 10_000);
      present.set(keyOf(m), m);
    }
    const atStart = new Set(present.keys());
    const left = new Set<string>();
    const everPresent = new Set(present.keys());
    let reading = true;
    const churn = async () => {
      for (let next = 60; reading || next < 70; next++) {
        const r = random();
        const keys = [...present.keys()];
        const m = present.get(keys[Math.floor(random() * keys.length)] as string) as PresenceMember;
        if (r < 0.4) {
          left.add(keyOf(m));
          await peer.leave(CH, m.clientId, m.connectionId, { timestamp: 1 });
          present.delete(keyOf(m));
        } else if (r < 0.7) {
          await peer.upsert(CH, member(m.clientId, m.connectionId, `v${next}`), 10_000);
        } else {
          const fresh = member(`u${next}`, `c${next % 5}`);
          everPresent.add(keyOf(fresh));
          await peer.upsert(CH, fresh, 10_000);
          present.set(keyOf(fresh), fresh);
        }
      }
    };
    const read = store.members(CH).finally(() => {
      reading = false;
    });
    const [seen] = await Promise.all([read.then((ms) => ms.map(keyOf)), churn()]);
    assert.equal(new Set(seen).size, seen.length, `no member twice (seed ${seed})`);
    for (const key of atStart) {
      if (!left.has(key)) assert.ok(seen.includes(key), `${key} stayed present but was missed (seed ${seed})`);
    }
    for (const key of seen) assert.ok(everPresent.has(key), `${key} was never present`);
  });

  it('pages come in entry order, updates do not move a member, the last page has no next', async (t) => {
    const { store, peer } = await create(t);
    for (let i = 0; i < 10; i++) await (i % 2 ? peer : store).upsert(CH, member(`u${i}`, 'c1'), 1000);
    await store.upsert(CH, member('u3', 'c1', 'changed'), 1000);
    const pages = await readAll(peer, 4);
    assert.deepEqual(
      pages.map((p) => p.map((m) => m.clientId)),
      [
        ['u0', 'u1', 'u2', 'u3'],
        ['u4', 'u5', 'u6', 'u7'],
        ['u8', 'u9'],
      ],
    );
    assert.equal(pages[0]?.[3]?.data, 'changed');
    assert.deepEqual(await store.page(CH, undefined, 10), { members: (await readAll(store, 10))[0] });
    assert.deepEqual(await store.page('app:nobody', undefined, 10), { members: [] });
  });

  it('a filtered page skips others, and says next only when another member passes', async (t) => {
    const { store } = await create(t);
    for (let i = 0; i < 30; i++) await store.upsert(CH, member(i % 10 === 0 ? 'wanted' : `u${i}`, `c${i}`), 1000);
    const pages = await readAll(store, 2, undefined, (m) => m.clientId === 'wanted');
    assert.deepEqual(
      pages.map((p) => p.map((m) => m.connectionId)),
      [['c0', 'c10'], ['c20']],
    );
  });

  it('a cursor survives concurrent enters, updates and leaves: no duplicate, no skip of a member that stayed', async (t) => {
    const { store, peer } = await create(t);
    const seed = Number(process.env.ROLLCALL_SEED ?? 16);
    const random = prng(seed);
    const present = new Map<string, PresenceMember>();
    const enter = async (m: PresenceMember) => {
      await (random() < 0.5 ? store : peer).upsert(CH, m, 10_000);
      present.set(keyOf(m), m);
    };
    for (let i = 0; i < 60; i++) await enter(member(`u${i}`, `c${i % 5}`));
    const atStart = new Set(present.keys());
    const everPresent = new Set(present.keys());
    const gone = new Set<string>();
    let next = 60;
    const churn = async () => {
      for (let j = 0; j < 4; j++) {
        const r = random();
        const keys = [...present.keys()];
        const key = keys[Math.floor(random() * keys.length)] as string;
        const m = present.get(key) as PresenceMember;
        if (r < 0.35) {
          await peer.leave(CH, m.clientId, m.connectionId, { timestamp: 1 });
          present.delete(key);
          gone.add(key);
        } else if (r < 0.7) {
          await enter(member(m.clientId, m.connectionId, `v${j}`));
        } else {
          const fresh = member(`u${next++}`, `c${next % 5}`);
          everPresent.add(keyOf(fresh));
          await enter(fresh);
        }
      }
    };
    const seen = (await readAll(store, 7, churn)).flat().map(keyOf);
    assert.equal(new Set(seen).size, seen.length, `no member twice (seed ${seed})`);
    for (const key of atStart) {
      if (!gone.has(key)) assert.ok(seen.includes(key), `${key} stayed present but was skipped (seed ${seed})`);
    }
    for (const key of seen) assert.ok(everPresent.has(key), `${key} was never present`);
  });

  it('the version is the same while the set is unchanged and new after any change, even after emptying', async (t) => {
    const { store, peer } = await create(t);
    const versions: Array<string | undefined> = [];
    const a = member('alice', 'c1');
    await store.upsert(CH, a, 100);
    versions.push(await store.version(CH));
    assert.equal(await peer.version(CH), versions[0]);
    await store.upsert(CH, member('alice', 'c1', 'new data'), 100);
    versions.push(await peer.version(CH));
    await peer.upsert(CH, member('bob', 'c2'), 100);
    versions.push(await store.version(CH));
    await store.leave(CH, 'bob', 'c2', { timestamp: 2 });
    versions.push(await store.version(CH));
    await store.removeConnectionFromChannel(CH, 'c1', 3);
    await store.upsert(CH, member('alice', 'c3'), 100);
    versions.push(await store.version(CH));
    assert.ok(
      versions.every((v) => v !== undefined),
      'a channel with members has a version',
    );
    assert.equal(new Set(versions).size, versions.length, `every change gives a new version: ${versions.join(', ')}`);
    await store.upsert(CH, member('alice', 'c3', 'stale'), 100, 'c3:0:0');
    assert.equal(await store.version(CH), versions.at(-1), 'a change refused as stale keeps the version');
  });

  it('a cursor the store did not make is refused with 40003', async (t) => {
    const { store } = await create(t);
    await store.upsert(CH, member('alice', 'c1'), 100);
    await assert.rejects(store.page(CH, 'not-a-cursor', 10), (e) => ErrorInfo.from(e).code === 40003);
  });
}
