import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import type { ChannelMetrics } from '../../src/occupancy/metrics.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { Collector, PROTOCOLS, startServer } from '../helpers/server.ts';

const OCCUPANCY = { params: { occupancy: 'metrics' } };

const metricsOf = (m: Ably.InboundMessage): ChannelMetrics => (m.data as { metrics: ChannelMetrics }).metrics;

/** Subscribes to `[meta]occupancy` events (before attaching, so the one sent on attach is caught). */
function occupancyEvents(channel: Ably.RealtimeChannel): Collector<ChannelMetrics> {
  const events = new Collector<ChannelMetrics>();
  channel.subscribe('[meta]occupancy', (m) => events.push(metricsOf(m)));
  return events;
}

const last = <T>(items: T[]): T | undefined => items[items.length - 1];

for (const protocol of PROTOCOLS) {
  describe(`occupancy events (${protocol})`, () => {
    test('occupancy=metrics: the current metrics on attach, then every change; ATTACHED echoes the param', async (t) => {
      const s = await startServer(t, { occupancyEventInterval: 20 });
      const watcher = s.realtime({ protocol });
      const channel = watcher.channels.get('lobby', OCCUPANCY);
      const events = occupancyEvents(channel);
      await channel.attach();
      assert.deepEqual(channel.params, { occupancy: 'metrics' });
      const first = await events.count(1);
      assert.deepEqual(first[0], {
        connections: 1,
        publishers: 1,
        subscribers: 1,
        presenceConnections: 1,
        presenceMembers: 0,
        presenceSubscribers: 1,
      });

      const alice = s.realtime({ protocol, clientId: 'alice' });
      await alice.channels.get('lobby').presence.enter({ mood: 'ok' });
      const reader = s.realtime({ protocol });
      await reader.channels.get('lobby', { modes: ['SUBSCRIBE'] }).attach();
      const expected = {
        connections: 3,
        publishers: 2,
        subscribers: 3,
        presenceConnections: 2,
        presenceMembers: 1,
        presenceSubscribers: 2,
      };
      await events.until((items) => JSON.stringify(last(items)) === JSON.stringify(expected));
      // REST answers the same numbers from the same source.
      const status = await s.rest({ protocol }).channels.get('lobby').status();
      assert.deepEqual(status.status.occupancy.metrics, expected);

      alice.close();
      await events.until((items) => last(items)?.connections === 2 && last(items)?.presenceMembers === 0);
      // Events are not messages of the channel's sequence: nothing of them is in history.
      const history = await channel.history();
      assert.equal(history.items.length, 0);
    });

    test('no param, no events; ATTACHED echoes no unrecognised params', async (t) => {
      const s = await startServer(t, { occupancyEventInterval: 20 });
      const plain = s.realtime({ protocol });
      const channel = plain.channels.get('quiet', { params: { agent: 'x/1' } });
      const seen = new Collector<Ably.InboundMessage>();
      channel.subscribe(seen.push);
      await channel.attach();
      assert.deepEqual(channel.params, {});
      // Another attach changes the occupancy; the plain subscriber still only sees real messages.
      await s.realtime({ protocol }).channels.get('quiet').attach();
      await channel.publish('marker', 'here');
      await seen.count(1);
      assert.deepEqual(
        seen.items.map((m) => m.name),
        ['marker'],
      );
    });

    test('an unknown occupancy param value fails the attach with 40003', async (t) => {
      const s = await startServer(t);
      const client = s.realtime({ protocol });
      const channel = client.channels.get('bad', { params: { occupancy: 'everything' } });
      await assert.rejects(channel.attach(), (err: Ably.ErrorInfo) => err.code === 40003);
      assert.equal(client.connection.state, 'connected');
    });
  });
}

test('changes within one occupancyEventInterval are merged into one event', async (t) => {
  const clock = new ManualClock();
  const s = await startServer(t, { clock, occupancyEventInterval: 500 });
  const watcher = s.realtime();
  const channel = watcher.channels.get('busy', OCCUPANCY);
  const events = occupancyEvents(channel);
  await channel.attach();
  await events.count(1);

  const clients = Array.from({ length: 8 }, (_, i) => s.realtime({ clientId: `u${i}` }));
  await Promise.all(clients.map((c) => c.channels.get('busy').presence.enter()));
  // Nothing moves until the window ends (the server's clock is manual): then one event carries all of it.
  assert.equal(events.items.length, 1);
  clock.advance(500);
  await events.count(2);
  assert.equal(events.items[1]?.connections, 9);
  assert.equal(events.items[1]?.presenceMembers, 8);
  // The same connection then gets a message published after the pass: had the pass sent a second event, it
  // would have arrived before this one.
  const marker = new Collector<Ably.InboundMessage>();
  await channel.subscribe('marker', marker.push);
  await channel.publish('marker', 'here');
  await marker.count(1);
  assert.equal(events.items.length, 2);
});
