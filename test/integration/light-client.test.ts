import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { LightClient, PRESENCE_ACTIONS } from '../../bench/light-client.ts';
import { Collector, startServer, TEST_KEY } from '../helpers/server.ts';

/**
 * The bench's light raw-protocol client must see what the `ably` SDK sees, or the benchmark numbers mean nothing:
 * SDK and light clients (JSON and msgpack) in one channel must observe the same presence events in the same order
 * and, as late joiners, the same member set after SYNC. Run with presence batching off and forced on (batching
 * merges events of several connections into one PRESENCE message, which the SDK must still apply item by item).
 */
type Seen = string;
const seen = (action: string, clientId: string | undefined): Seen => `${action}:${clientId}`;

for (const batching of [false, true]) {
  describe(`light client agrees with the SDK (presence batching ${batching ? 'on' : 'off'})`, () => {
    test('same events in the same order, same SYNC member set', async (t) => {
      const s = await startServer(t, batching ? { presenceBatchMinSubscribers: 1, presenceBatchWindow: 30 } : {});
      const light = (clientId: string | undefined, format: 'json' | 'msgpack', remainPresentFor?: number) => {
        const c = new LightClient({ port: s.port, key: TEST_KEY, clientId, format, remainPresentFor });
        t.after(() => c.close());
        return c;
      };
      const channel = 'light-vs-sdk';

      // Observers: two SDK clients (also participants) and two light clients that only watch.
      const sdkA = s.realtime({ protocol: 'json', clientId: 'sdk-a' });
      const sdkB = s.realtime({ protocol: 'msgpack', clientId: 'sdk-b' });
      const sdkEvents = [new Collector<Seen>(), new Collector<Seen>()];
      const sdkChannels = [sdkA.channels.get(channel), sdkB.channels.get(channel)];
      for (const [i, ch] of sdkChannels.entries()) {
        await ch.presence.subscribe((m: Ably.PresenceMessage) => sdkEvents[i]?.push(seen(m.action, m.clientId)));
      }
      const watchers = [light(undefined, 'json'), light(undefined, 'msgpack')];
      const lightEvents = watchers.map(() => new Collector<Seen>());
      let merged = 0;
      watchers[0]!.onFrame = (m) => {
        if (m.action === 14 && new Set(m.presence?.map((p) => p.connectionId)).size > 1) merged++;
      };
      for (const [i, w] of watchers.entries()) {
        await w.connect();
        w.onPresence = (_ch, item, _at, sync) => {
          if (!sync) lightEvents[i]?.push(seen(PRESENCE_ACTIONS[item.action] ?? '?', item.clientId));
        };
        await w.attach(channel);
      }
      // Light participants: one leaves politely, one is killed (leave after remainPresentFor).
      const lightA = light('light-a', 'json');
      const lightB = light('light-b', 'msgpack', 1000);
      for (const c of [lightA, lightB]) {
        await c.connect();
        await c.attach(channel);
      }

      // Concurrent enters from all four, so that batching (when on) merges events of different connections.
      await Promise.all([
        sdkChannels[0]?.presence.enter('a'),
        lightA.enter(channel, 'la'),
        sdkChannels[1]?.presence.enter('b'),
        lightB.enter(channel, 'lb'),
      ]);
      await sdkChannels[0]?.presence.update('a2');
      await lightA.leave(channel);
      lightB.kill();

      const all = [...sdkEvents, ...lightEvents];
      await Promise.all(all.map((c) => c.count(7)));
      const reference = sdkEvents[0]?.items ?? [];
      assert.deepEqual(new Set(reference.slice(0, 4)), new Set(['enter:sdk-a', 'enter:light-a', 'enter:sdk-b', 'enter:light-b']));
      assert.deepEqual(reference.slice(4), ['update:sdk-a', 'leave:light-a', 'leave:light-b']);
      for (const c of all) assert.deepEqual(c.items, reference);
      if (batching) assert.ok(merged > 0, 'expected at least one PRESENCE merging several connections');
      else assert.equal(merged, 0);

      // Late joiners: an SDK client's get() and light clients' SYNC hold the same members.
      const late = s.realtime({ protocol: 'msgpack', clientId: 'late' });
      const members = await late.channels.get(channel).presence.get();
      const sdkSet = members.map((m) => `${m.clientId}:${m.connectionId}`).sort();
      assert.deepEqual(members.map((m) => m.clientId).sort(), ['sdk-a', 'sdk-b']);
      for (const format of ['json', 'msgpack'] as const) {
        const lateLight = light('late-light', format);
        await lateLight.connect();
        await lateLight.attach(channel);
        await lateLight.synced(channel);
        assert.deepEqual([...lateLight.channel(channel).members.keys()].sort(), sdkSet);
      }
    });
  });
}
