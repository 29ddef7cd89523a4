import assert from 'node:assert/strict';
import { after, describe, type TestContext, test } from 'node:test';
import SpacesExport, { type CursorUpdate, type Lock, type SpaceMember } from '@ably/spaces';
import type * as Ably from 'ably';
import { clientFor, TcpProxy } from '../cluster/cluster-helpers.ts';
import { sdkBackends } from '../helpers/backends.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { Collector, connectionState } from '../helpers/server.ts';

// `@ably/spaces` 0.5.2, unmodified, against real Rollcall servers: one node in memory, and two nodes sharing Redis
// with the two users on different nodes.
const redis: TestRedis | undefined = redisSkip() ? undefined : await startRedis({ after });
const BACKENDS = sdkBackends(redis);

/** How long a member who left stays in the avatar stack before `remove` (Spaces' offlineTimeout, shrunk). */
const OFFLINE_TIMEOUT = 300;

// The package's `main` is CommonJS with `exports.default`: under Node's ESM loader the class is one level down.
const Spaces: typeof SpacesExport = (SpacesExport as unknown as { default?: typeof SpacesExport }).default ?? SpacesExport;
type Spaces = SpacesExport;

const spacesFor = (t: TestContext, port: number, clientId: string, options: Ably.ClientOptions = {}): Spaces =>
  new Spaces(clientFor(t, port, { clientId, ...options }));

type MemberEvent = { event: string; member: SpaceMember };

/** Every members event of a space, as `{event, member}`. */
function memberEvents(space: Awaited<ReturnType<Spaces['get']>>): Collector<MemberEvent> {
  const events = new Collector<MemberEvent>();
  for (const event of ['enter', 'leave', 'remove', 'updateProfile'] as const) {
    space.members.subscribe(event, (member) => events.push({ event, member }));
  }
  return events;
}

const has = (event: string, clientId: string) => (items: MemberEvent[]) =>
  items.some((e) => e.event === event && e.member.clientId === clientId);

for (const backend of BACKENDS) {
  describe(`@ably/spaces 0.5.2 (${backend.name})`, { skip: backend.skip, timeout: 30_000 }, () => {
    test('members: enter, profile update, leave, then removed after offlineTimeout', async (t) => {
      const { ports } = await backend.start(t);
      const alice = await spacesFor(t, ports[0], 'alice').get('deck', { offlineTimeout: OFFLINE_TIMEOUT });
      const bob = await spacesFor(t, ports[1], 'bob', { useBinaryProtocol: false }).get('deck', {
        offlineTimeout: OFFLINE_TIMEOUT,
      });
      const seen = memberEvents(bob);
      await bob.enter({ name: 'Bob' });

      await alice.enter({ name: 'Alice', avatar: 'a.png' });
      await seen.until(has('enter', 'alice'));
      assert.deepEqual(seen.items.find((e) => e.member.clientId === 'alice')?.member.profileData, {
        name: 'Alice',
        avatar: 'a.png',
      });
      await alice.updateProfileData((old) => ({ ...old, name: 'Alice L.' }));
      // (Entering with a profile already counts as a profile update: wait for this one.)
      await seen.until((items) =>
        items.some((e) => e.event === 'updateProfile' && (e.member.profileData as { name?: string })?.name === 'Alice L.'),
      );
      const others = await bob.members.getOthers();
      assert.deepEqual(
        others.map((m) => [m.clientId, m.isConnected, m.profileData]),
        [['alice', true, { name: 'Alice L.', avatar: 'a.png' }]],
      );
      // Alice sees Bob too (his enter preceded hers: it reached her in the SYNC).
      assert.deepEqual(
        (await alice.members.getOthers()).map((m) => m.clientId),
        ['bob'],
      );

      await alice.leave({ name: 'Alice L.', bye: true });
      await seen.until(has('leave', 'alice'));
      const left = seen.items.find((e) => e.event === 'leave')?.member;
      assert.equal(left?.isConnected, false);
      assert.deepEqual(left?.profileData, { name: 'Alice L.', bye: true });
      await seen.until(has('remove', 'alice'));
      assert.deepEqual(
        (await bob.members.getAll()).map((m) => m.clientId),
        ['bob'],
      );
    });

    test('members: an abrupt drop shows as leave after remainPresentFor, then remove', async (t) => {
      const { ports } = await backend.start(t);
      const watcher = await spacesFor(t, ports[1], 'watcher').get('board', { offlineTimeout: OFFLINE_TIMEOUT });
      const seen = memberEvents(watcher);
      await watcher.enter();
      // The doomed device reaches its node through a proxy, so its network can be cut for good.
      const proxy = new TcpProxy(ports[0]);
      await proxy.listen(t);
      const doomedSpaces = spacesFor(t, proxy.port, 'doomed', { transportParams: { remainPresentFor: 1000 } });
      const doomed = await doomedSpaces.get('board');
      await doomed.enter({ name: 'Doomed' });
      await seen.until(has('enter', 'doomed'));

      proxy.hold();
      proxy.dropAll();
      const cutAt = performance.now();
      await seen.until(has('leave', 'doomed'));
      const leftAfter = performance.now() - cutAt;
      // No leave during the grace period: the member stays in the stack, connected as far as anyone knows.
      assert.ok(leftAfter >= 900, `leave after ${Math.round(leftAfter)} ms, within remainPresentFor`);
      await seen.until(has('remove', 'doomed'));
      assert.deepEqual(
        (await watcher.members.getAll()).map((m) => m.clientId),
        ['watcher'],
      );
      // The network comes back before the test ends: closing a client whose connection attempts hang leaves the SDK
      // rejecting its pending operations (80017) with nobody to catch them.
      proxy.release();
      await connectionState(doomedSpaces.client as unknown as Ably.Realtime, 'connected');
    });

    test('locations: set and seen by the other member, previous location included', async (t) => {
      const { ports } = await backend.start(t);
      const alice = await spacesFor(t, ports[0], 'alice').get('slides');
      const bob = await spacesFor(t, ports[1], 'bob').get('slides');
      const updates = new Collector<{ member: SpaceMember; currentLocation: unknown; previousLocation: unknown }>();
      bob.locations.subscribe('update', updates.push);
      await bob.enter();
      await alice.enter();

      await alice.locations.set({ slide: 1 });
      await alice.locations.set({ slide: 2, element: 'title' });
      await updates.until((u) => u.some((x) => (x.currentLocation as { slide?: number }).slide === 2));
      const last = updates.items[updates.items.length - 1];
      assert.equal(last?.member.clientId, 'alice');
      assert.deepEqual(last?.currentLocation, { slide: 2, element: 'title' });
      assert.deepEqual(last?.previousLocation, { slide: 1 });
      const others = await bob.locations.getOthers();
      assert.deepEqual(Object.values(others), [{ slide: 2, element: 'title' }]);
    });

    test('locks: acquired by one member, refused to the other, released', async (t) => {
      const { ports } = await backend.start(t);
      const alice = await spacesFor(t, ports[0], 'alice').get('sheet');
      const bob = await spacesFor(t, ports[1], 'bob').get('sheet');
      const atBob = new Collector<Lock>();
      bob.locks.subscribe('update', atBob.push);
      const atAlice = new Collector<Lock>();
      alice.locks.subscribe('update', atAlice.push);
      await alice.enter();
      await bob.enter();

      await alice.locks.acquire('cell-B2', { attributes: { sheet: 1 } });
      await atBob.until((l) => l.some((x) => x.id === 'cell-B2' && x.status === 'locked' && x.member.clientId === 'alice'));
      assert.equal(bob.locks.get('cell-B2')?.member.clientId, 'alice');
      assert.deepEqual(bob.locks.get('cell-B2')?.attributes, { sheet: 1 });

      // Bob asks for the same lock: every member's SDK decides it is taken (same rules, same presence order).
      await bob.locks.acquire('cell-B2');
      await atAlice.until((l) => l.some((x) => x.member.clientId === 'bob' && x.status === 'unlocked'));
      assert.equal(alice.locks.get('cell-B2')?.member.clientId, 'alice');

      await alice.locks.release('cell-B2');
      await atBob.until((l) => l.some((x) => x.member.clientId === 'alice' && x.status === 'unlocked'));
      assert.equal(bob.locks.get('cell-B2'), undefined);
    });

    test('cursors: positions and data reach the other member; getAll has the latest', async (t) => {
      const { ports } = await backend.start(t);
      const alice = await spacesFor(t, ports[0], 'alice').get('canvas');
      const bob = await spacesFor(t, ports[1], 'bob').get('canvas');
      await alice.enter();
      await bob.enter();
      const moves = new Collector<CursorUpdate>();
      bob.cursors.subscribe('update', moves.push);
      alice.cursors.subscribe('update', () => {});
      // Each SDK sends positions only once its cursors channel shows more than one member (it re-reads
      // presence.get() on every presence event and drops positions set before): wait until Alice's shows both her
      // and Bob, then for a get() issued after the SDK's own (so its answer has been applied).
      const aliceCursors = alice.cursors.channel as Ably.RealtimeChannel;
      const cursorMembers = new Collector<string>();
      await aliceCursors.presence.subscribe((m) => cursorMembers.push(m.clientId as string));
      await cursorMembers.until((ids) => ids.includes('bob') && ids.includes('alice'));
      await aliceCursors.presence.get();

      for (let x = 1; x <= 5; x++) await alice.cursors.set({ position: { x, y: 2 * x }, data: { color: 'red' } });
      await moves.until((m) => m.some((u) => u.position.x === 5));
      const fromAlice = moves.items.filter((u) => u.clientId === 'alice');
      assert.ok(fromAlice.length > 0);
      assert.deepEqual(fromAlice[fromAlice.length - 1]?.data, { color: 'red' });
      // In order: batching may merge positions, never reorder them.
      const xs = fromAlice.map((u) => u.position.x);
      assert.deepEqual(
        xs,
        [...xs].sort((a, b) => a - b),
      );
      const all = await bob.cursors.getAll();
      const aliceConn = (await alice.members.getSelf())?.connectionId as string;
      assert.deepEqual(all[aliceConn]?.position, { x: 5, y: 10 });
    });
  });
}
