import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { Collector, PROTOCOLS, startServer } from '../helpers/server.ts';

const byKey = (m: Ably.PresenceMessage) => `${m.clientId}/${m.connectionId}`;

for (const protocol of PROTOCOLS) {
  describe(`presence basics (${protocol})`, () => {
    test('a user and an agent enter with data; a third client sees both via get() and subscribe()', async (t) => {
      const s = await startServer(t);
      const watcher = s.realtime({ protocol, clientId: 'watcher' });
      const seen = new Collector<Ably.PresenceMessage>();
      await watcher.channels.get('session-1').presence.subscribe(seen.push);

      const user = s.realtime({ protocol, clientId: 'user-123' });
      const agent = s.realtime({ protocol, clientId: 'agent-7' });
      await user.channels.get('session-1').presence.enter({ device: 'mobile', platform: 'ios' });
      await agent.channels.get('session-1').presence.enter({ model: 'gpt-4' });

      await seen.count(2);
      assert.deepEqual(
        seen.items.map((m) => [m.action, m.clientId, m.data]),
        [
          ['enter', 'user-123', { device: 'mobile', platform: 'ios' }],
          ['enter', 'agent-7', { model: 'gpt-4' }],
        ],
      );
      const members = await watcher.channels.get('session-1').presence.get();
      assert.deepEqual(
        members.map((m) => [m.clientId, m.connectionId, m.data]).sort(),
        [
          ['agent-7', agent.connection.id, { model: 'gpt-4' }],
          ['user-123', user.connection.id, { device: 'mobile', platform: 'ios' }],
        ].sort(),
      );
      for (const m of members) assert.equal(m.action, 'present');
    });

    test('one user on two devices is two members; one device leaving leaves the other present', async (t) => {
      const s = await startServer(t);
      const desktop = s.realtime({ protocol, clientId: 'user-123' });
      const mobile = s.realtime({ protocol, clientId: 'user-123' });
      const watcher = s.realtime({ protocol, clientId: 'watcher' });
      const events = new Collector<Ably.PresenceMessage>();
      await watcher.channels.get('room').presence.subscribe(events.push);
      await desktop.channels.get('room').presence.enter({ device: 'desktop' });
      await mobile.channels.get('room').presence.enter({ device: 'mobile' });
      await events.count(2);

      let members = await watcher.channels.get('room').presence.get();
      assert.equal(members.length, 2);
      assert.deepEqual(new Set(members.map((m) => m.clientId)), new Set(['user-123']));
      assert.deepEqual(new Set(members.map((m) => m.connectionId)), new Set([desktop.connection.id, mobile.connection.id]));

      await mobile.channels.get('room').presence.leave();
      await events.count(3);
      const leave = events.items[2] as Ably.PresenceMessage;
      assert.equal(leave.action, 'leave');
      assert.equal(leave.connectionId, mobile.connection.id);
      assert.deepEqual(leave.data, { device: 'mobile' }, 'a leave without data carries the last data');
      members = await watcher.channels.get('room').presence.get();
      assert.deepEqual(members.map(byKey), [`user-123/${desktop.connection.id}`]);
    });

    test('leave data reaches subscribers and presence history', async (t) => {
      const s = await startServer(t);
      const agent = s.realtime({ protocol, clientId: 'agent-7' });
      const watcher = s.realtime({ protocol, clientId: 'watcher' });
      const leaves = new Collector<Ably.PresenceMessage>();
      await watcher.channels.get('session-2').presence.subscribe('leave', leaves.push);
      const channel = agent.channels.get('session-2');
      await channel.presence.enter({ model: 'gpt-4' });
      const reason = { reason: 'session-completed', timestamp: 1_790_000_000_000 };
      await channel.presence.leave(reason);

      const [leave] = await leaves.count(1);
      assert.equal(leave?.clientId, 'agent-7');
      assert.deepEqual(leave?.data, reason);

      const history = await channel.presence.history();
      assert.deepEqual(
        history.items.map((m) => [m.action, m.clientId, m.data]),
        [
          ['leave', 'agent-7', reason],
          ['enter', 'agent-7', { model: 'gpt-4' }],
        ],
      );
    });

    test('filtered subscriptions: enter sees only enters, leave only leaves; update arrives as update', async (t) => {
      const s = await startServer(t);
      const member = s.realtime({ protocol, clientId: 'user-1' });
      const watcher = s.realtime({ protocol, clientId: 'watcher' });
      const w = watcher.channels.get('filtered').presence;
      const enters = new Collector<Ably.PresenceMessage>();
      const leaves = new Collector<Ably.PresenceMessage>();
      const updates = new Collector<Ably.PresenceMessage>();
      const all = new Collector<Ably.PresenceMessage>();
      await w.subscribe('enter', enters.push);
      await w.subscribe('leave', leaves.push);
      await w.subscribe('update', updates.push);
      await w.subscribe(all.push);

      const p = member.channels.get('filtered').presence;
      await p.enter('first');
      await p.update('second');
      await p.enter('third'); // entering when present is an update
      await p.leave();
      await all.count(4);

      assert.deepEqual(
        all.items.map((m) => [m.action, m.data]),
        [
          ['enter', 'first'],
          ['update', 'second'],
          ['update', 'third'],
          ['leave', 'third'],
        ],
      );
      assert.deepEqual(
        enters.items.map((m) => m.action),
        ['enter'],
      );
      assert.deepEqual(
        updates.items.map((m) => m.action),
        ['update', 'update'],
      );
      assert.deepEqual(
        leaves.items.map((m) => m.action),
        ['leave'],
      );
    });

    test('enterClient on behalf of other clientIds with a key; no clientId cannot enter', async (t) => {
      const s = await startServer(t);
      const backend = s.realtime({ protocol });
      const channel = backend.channels.get('agents');
      await channel.presence.enterClient('agent-a', { model: 'gpt-4' });
      await channel.presence.enterClient('agent-b', { model: 'claude' });
      const members = await channel.presence.get();
      assert.deepEqual(members.map((m) => m.clientId).sort(), ['agent-a', 'agent-b']);
      await assert.rejects(channel.presence.enter('x'), (err: Ably.ErrorInfo) => err.code === 40012);
    });

    test('the server refuses presence from a connection with no clientId (91000)', async (t) => {
      // The SDK refuses `enter()` without a clientId locally, so the raw ProtocolMessage goes through its
      // connection manager: the server must NACK it on its own.
      const s = await startServer(t);
      const anon = s.realtime({ protocol });
      const channel = anon.channels.get('strict');
      await channel.attach();
      type Send = (message: object, queue: boolean, callback: (err: Ably.ErrorInfo | null) => void) => void;
      const connection = (anon.connection as unknown as { connectionManager: { send: Send } }).connectionManager;
      const result = await new Promise<Ably.ErrorInfo | null>((resolve) => {
        connection.send(
          { action: 14, channel: 'strict', presence: [{ action: 2, data: 'no-id' }] },
          true,
          (err: Ably.ErrorInfo | null) => resolve(err),
        );
      });
      assert.equal(result?.code, 91000);
    });
  });
}
