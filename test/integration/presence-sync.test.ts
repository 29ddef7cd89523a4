import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { Collector, PROTOCOLS, startServer } from '../helpers/server.ts';

for (const protocol of PROTOCOLS) {
  describe(`presence sets and sync (${protocol})`, () => {
    test('an agent concludes a user is offline only once every device is gone', async (t) => {
      const s = await startServer(t);
      const agent = s.realtime({ protocol, clientId: 'agent-7' });
      const presence = agent.channels.get('session-9').presence;
      // The pattern from the mission: on every presence event, re-read the set and ask "any device left?".
      const verdicts = new Collector<{ action: string; online: boolean }>();
      await presence.subscribe(async (event) => {
        const members = await presence.get();
        verdicts.push({ action: event.action, online: members.some((m) => m.clientId === 'user-123') });
      });

      const desktop = s.realtime({ protocol, clientId: 'user-123', transportParams: { remainPresentFor: 60_000 } });
      const mobile = s.realtime({ protocol, clientId: 'user-123' });
      await desktop.channels.get('session-9').presence.enter({ device: 'desktop' });
      await mobile.channels.get('session-9').presence.enter({ device: 'mobile' });
      await verdicts.count(2);
      await mobile.channels.get('session-9').presence.leave({ reason: 'app-closed' });
      await verdicts.count(3);
      desktop.close();
      await verdicts.count(4);

      assert.deepEqual(verdicts.items, [
        { action: 'enter', online: true },
        { action: 'enter', online: true },
        { action: 'leave', online: true },
        { action: 'leave', online: false },
      ]);
    });

    test('a late joiner gets 10,000 members from get(), including enters and leaves during its sync', async (t) => {
      // One backend connection enters every member, far above the default per-connection rate limit.
      const s = await startServer(t, { maxInboundRate: 1_000_000 });
      const backend = s.realtime({ protocol });
      const channel = backend.channels.get('big-room');
      await channel.attach();
      const total = 10_000;
      const batch = 500;
      for (let start = 0; start < total; start += batch) {
        const entering: Promise<void>[] = [];
        for (let i = start; i < Math.min(total, start + batch); i++)
          entering.push(channel.presence.enterClient(`user-${i}`, { i }));
        await Promise.all(entering);
      }

      const joiner = s.realtime({ protocol, clientId: 'late' });
      const joinerChannel = joiner.channels.get('big-room');
      const changes = new Collector<Ably.PresenceMessage>();
      await joinerChannel.presence.subscribe(['enter', 'leave'], changes.push);
      // Members come and go while the joiner's sync is in flight.
      const churn = Promise.all([
        channel.presence.enterClient('newcomer-1', 'n1'),
        channel.presence.leaveClient('user-0'),
        channel.presence.enterClient('newcomer-2', 'n2'),
        channel.presence.leaveClient('user-9999'),
      ]);
      const members = await joinerChannel.presence.get();
      await churn;
      await changes.until((items) => items.filter((m) => m.clientId.startsWith('newcomer') || m.action === 'leave').length >= 4);
      const final = await joinerChannel.presence.get();
      const ids = new Set(final.map((m) => m.clientId));
      assert.equal(final.length, total, 'two left and two entered');
      assert.ok(ids.has('newcomer-1') && ids.has('newcomer-2'));
      assert.ok(!ids.has('user-0') && !ids.has('user-9999'));
      assert.ok(members.length >= total - 2, `first get() returned ${members.length}`);
      const sample = final.find((m) => m.clientId === 'user-4242');
      assert.deepEqual(sample?.data, { i: 4242 });
    });

    test('detaching and re-attaching a subscriber causes no leave/enter flicker for members who stayed', async (t) => {
      const s = await startServer(t);
      const alice = s.realtime({ protocol, clientId: 'alice' });
      const bob = s.realtime({ protocol, clientId: 'bob' });
      await alice.channels.get('steady').presence.enter('a');
      await bob.channels.get('steady').presence.enter('b');

      const watcher = s.realtime({ protocol, clientId: 'watcher' });
      const channel = watcher.channels.get('steady');
      const events = new Collector<Ably.PresenceMessage>();
      await channel.presence.subscribe(events.push);
      assert.equal((await channel.presence.get()).length, 2);
      await channel.detach();
      await channel.attach();
      const members = await channel.presence.get();
      assert.deepEqual(members.map((m) => m.clientId).sort(), ['alice', 'bob']);
      // A fresh member after the re-attach proves events still flow, and bounds the wait for stray ones.
      const carol = s.realtime({ protocol, clientId: 'carol' });
      await carol.channels.get('steady').presence.enter('c');
      await events.until((items) => items.some((m) => m.clientId === 'carol'));
      const flicker = events.items.filter((m) => (m.action === 'leave' || m.action === 'enter') && m.clientId !== 'carol');
      assert.deepEqual(flicker, []);
    });

    test('an empty channel attaches without HAS_PRESENCE and get() resolves at once', async (t) => {
      const s = await startServer(t);
      const c = s.realtime({ protocol, clientId: 'solo' });
      const channel = c.channels.get('empty');
      await channel.attach();
      assert.deepEqual(await channel.presence.get(), []);
    });
  });
}
