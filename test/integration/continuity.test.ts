import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import * as Ably from 'ably';
import { spawnPresenceClient } from '../helpers/child.ts';
import { Collector, PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';
import { connectionManager, dropTransport, reconnected } from '../helpers/transport.ts';

for (const protocol of PROTOCOLS) {
  describe(`resume and recover (${protocol})`, () => {
    test('a dropped client resumes with its connectionId and gets all 100 messages in order, none twice', async (t) => {
      const s = await startServer(t);
      const receiver = s.realtime({ protocol, clientId: 'receiver' });
      const received = new Collector<Ably.Message>();
      await receiver.channels.get('feed').subscribe(received.push);
      const publisher = s.realtime({ protocol, clientId: 'publisher' });
      const feed = publisher.channels.get('feed');
      await feed.attach();
      const id = receiver.connection.id;

      const back = reconnected(receiver);
      dropTransport(s, receiver);
      for (let i = 0; i < 100; i++) await feed.publish('n', { i });
      const change = await back;
      await received.count(100);
      assert.equal(receiver.connection.id, id, 'resume keeps the connectionId');
      assert.equal(change.reason, undefined, 'a successful resume carries no error');
      assert.deepEqual(
        received.items.map((m) => m.data.i),
        Array.from({ length: 100 }, (_, i) => i),
      );
      // One more message after the resume proves nothing else was queued behind the hundred.
      await feed.publish('n', { i: 100 });
      await received.count(101);
      assert.equal(received.items.length, 101);
    });

    test('a member whose client resumes within remainPresentFor causes no presence event at all', async (t) => {
      const s = await startServer(t);
      const watcher = s.realtime({ protocol, clientId: 'watcher' });
      const events = new Collector<Ably.PresenceMessage>();
      const sentinel = new Collector<Ably.Message>();
      const watched = watcher.channels.get('session');
      await watched.presence.subscribe(events.push);
      await watched.subscribe('sentinel', sentinel.push);

      const member = s.realtime({ protocol, clientId: 'user-1', transportParams: { remainPresentFor: 5000 } });
      const channel = member.channels.get('session');
      await channel.presence.enter({ device: 'phone' });
      await events.count(1);
      const id = member.connection.id;

      const back = reconnected(member);
      const reattached = new Promise((resolve) => channel.once('attached', resolve));
      dropTransport(s, member);
      await back;
      await reattached;
      // The SDK re-enters right after ATTACHED on the same connection, so once this publish is ACKed and delivered
      // the server has handled the re-entry, and any broadcast it caused would have reached the watcher first.
      await channel.publish('sentinel', 'done');
      await sentinel.count(1);
      assert.equal(member.connection.id, id);
      assert.deepEqual(
        events.items.map((m) => m.action),
        ['enter'],
        'no leave/enter flicker',
      );
      const members = await watched.presence.get();
      assert.deepEqual(
        members.map((m) => [m.clientId, m.connectionId]),
        [['user-1', id]],
      );
    });

    test('a client back after remainPresentFor expired is seen leaving, then re-entering', async (t) => {
      const s = await startServer(t, { minHeartbeatInterval: 100, heartbeatMargin: 200 });
      const watcher = s.realtime({ protocol, clientId: 'watcher' });
      const events = new Collector<Ably.PresenceMessage>();
      await watcher.channels.get('session').presence.subscribe(events.push);
      const device = await spawnPresenceClient(t, {
        port: s.port,
        key: TEST_KEY,
        clientId: 'sleepy',
        protocol,
        channel: 'session',
        data: { device: 'laptop' },
        transportParams: { remainPresentFor: 1000, heartbeatInterval: 300 },
      });
      await events.count(1);
      device.process.kill('SIGSTOP'); // the laptop sleeps
      await events.count(2);
      device.process.kill('SIGCONT'); // and wakes up, resuming its connection
      await events.count(3);
      assert.deepEqual(
        events.items.map((m) => [m.action, m.clientId, m.connectionId]),
        [
          ['enter', 'sleepy', device.connectionId],
          ['leave', 'sleepy', device.connectionId],
          ['enter', 'sleepy', device.connectionId],
        ],
      );
      const members = await watcher.channels.get('session').presence.get();
      assert.deepEqual(
        members.map((m) => [m.clientId, m.data]),
        [['sleepy', { device: 'laptop' }]],
      );
    });

    test('a resume with an unknown key gets a new connectionId; channels re-attach and members re-enter', async (t) => {
      const s = await startServer(t);
      const watcher = s.realtime({ protocol, clientId: 'watcher' });
      const events = new Collector<Ably.PresenceMessage>();
      await watcher.channels.get('session').presence.subscribe(events.push);
      const member = s.realtime({ protocol, clientId: 'user-2', transportParams: { remainPresentFor: 1000 } });
      const channel = member.channels.get('session');
      await channel.presence.enter('hi');
      const oldId = member.connection.id;

      const back = reconnected(member);
      connectionManager(member).connectionKey = 'bogus!not-a-key-we-issued';
      dropTransport(s, member);
      const change = await back;
      assert.notEqual(member.connection.id, oldId);
      // A key we never issued is invalid (80018), as ably-js's resume suite expects; 80008 is for expired ones.
      assert.equal(change.reason?.code, 80018);
      // The re-entry from the new connection, then the old connection's member leaving after its grace period.
      await events.until((items) => items.some((m) => m.action === 'enter' && m.connectionId === member.connection.id));
      await events.until((items) => items.some((m) => m.action === 'leave' && m.connectionId === oldId));
      assert.equal(channel.state, 'attached');
      const members = await watcher.channels.get('session').presence.get();
      assert.deepEqual(
        members.map((m) => [m.clientId, m.connectionId, m.data]),
        [['user-2', member.connection.id, 'hi']],
      );
    });

    test('a new SDK instance recovers a connection from its recovery key and gets the messages it missed', async (t) => {
      const s = await startServer(t);
      const device = await spawnPresenceClient(t, {
        port: s.port,
        key: TEST_KEY,
        clientId: 'reloader',
        protocol,
        channel: 'session',
        data: 'before-reload',
        transportParams: { remainPresentFor: 10_000 },
      });
      const lost = once(s.server.node.events, 'transport-lost');
      device.process.kill('SIGKILL'); // the page unloads without closing
      await lost;
      const publisher = s.realtime({ protocol, clientId: 'publisher' });
      await publisher.channels.get('session').publish('missed', 'while-away');

      const recovered = s.realtime({ protocol, clientId: 'reloader', recover: device.recoveryKey });
      await recovered.connection.once('connected');
      assert.equal(recovered.connection.id, device.connectionId);
      const channel = recovered.channels.get('session');
      const received = new Collector<Ably.Message>();
      await channel.subscribe(received.push);
      const [missed] = await received.count(1);
      assert.equal(missed?.data, 'while-away');
      await channel.presence.enter('after-reload'); // the application re-enters
      const members = await channel.presence.get();
      assert.deepEqual(
        members.map((m) => [m.clientId, m.connectionId, m.data]),
        [['reloader', device.connectionId, 'after-reload']],
      );
    });
  });
}

test('closing a connection frees its state; abandoned connections are freed after connectionStateTtl', async (t) => {
  const s = await startServer(t, { connectionStateTtl: 1000, remainPresentFor: 1000 });
  const node = s.server.node;
  const clients = Array.from({ length: 20 }, (_, i) => s.realtime({ clientId: `c${i}` }));
  await Promise.all(clients.map((c) => c.channels.get(`room-${clients.indexOf(c) % 3}`).presence.enter('x')));
  assert.equal(node.connections.size, 20);
  const disposed = new Collector<string>();
  node.events.on('disposed', disposed.push);
  for (const c of clients.slice(0, 10)) c.close();
  for (const c of clients.slice(10)) {
    c.connection.on('disconnected', () => c.close());
    dropTransport(s, c);
  }
  await disposed.count(20);
  assert.equal(node.connections.size, 0);
  assert.deepEqual([...node.channels.channels()], []);
  for (let i = 0; i < 3; i++) assert.equal(await node.presence.store.count(`testapp:room-${i}`), 0);
  assert.ok(Ably.Realtime);
});
