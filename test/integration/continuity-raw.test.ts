import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import * as AblySdk from 'ably';
import { Action } from '../../src/protocol/index.ts';
import { type Frame, RawClient } from '../helpers/raw-client.ts';
import { Collector, PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';

const connectionKeyOf = (f: Frame) => (f.connectionDetails as { connectionKey: string }).connectionKey;

for (const protocol of PROTOCOLS) {
  describe(`resume keys (${protocol})`, () => {
    test('a client whose CONNECTED was lost resumes with the key it has; using the new key retires the old', async (t) => {
      const s = await startServer(t);
      const resumeWith = async (key: string) => {
        const c = await RawClient.open(t, s.port, protocol, { clientId: 'raw-k', resume: key });
        const f = await c.next(Action.CONNECTED);
        const lost = once(s.server.node.events, 'transport-lost');
        c.socket.terminate();
        await lost;
        return f;
      };
      const first = await RawClient.open(t, s.port, protocol, { clientId: 'raw-k' });
      const connected = await first.next(Action.CONNECTED);
      const id = connected.connectionId;
      const lost = once(s.server.node.events, 'transport-lost');
      first.socket.terminate();
      await lost;
      const k1 = connectionKeyOf(connected);
      const second = await resumeWith(k1); // its CONNECTED (carrying k2) is treated as lost with the socket
      assert.equal(second.connectionId, id);
      const k2 = connectionKeyOf(second);
      assert.notEqual(k2, k1);
      const third = await resumeWith(k1);
      assert.equal(third.connectionId, id, 'the key the client still has is accepted');
      assert.equal(third.error, undefined);
      const k3 = connectionKeyOf(third);
      const fourth = await resumeWith(k3);
      assert.equal(fourth.connectionId, id);
      const stale = await resumeWith(k1);
      assert.notEqual(stale.connectionId, id, 'once the client used a newer key, older ones are retired');
      assert.equal((stale.error as { code: number }).code, 80008);
    });
  });

  describe(`retransmits after a resume (${protocol})`, () => {
    test('a publish and a presence enter resent with the same msgSerial are ACKed again but applied once', async (t) => {
      const s = await startServer(t);
      const watcher = s.realtime({ protocol, clientId: 'watcher' });
      const messages = new Collector<Ably.Message>();
      const presence = new Collector<Ably.PresenceMessage>();
      const watched = watcher.channels.get('dedupe');
      await watched.subscribe(messages.push);
      await watched.presence.subscribe(presence.push);

      const first = await RawClient.open(t, s.port, protocol, { clientId: 'raw-1' });
      const connected = await first.next(Action.CONNECTED);
      first.send({ action: Action.ATTACH, channel: 'dedupe' });
      await first.next(Action.ATTACHED);
      first.send({ action: Action.MESSAGE, channel: 'dedupe', msgSerial: 0, messages: [{ name: 'once', data: 'a' }] });
      first.send({ action: Action.PRESENCE, channel: 'dedupe', msgSerial: 1, presence: [{ action: 2, data: 'here' }] });
      await first.next(Action.ACK, (f) => f.msgSerial === 1);
      const lost = once(s.server.node.events, 'transport-lost');
      first.socket.terminate(); // the ACKs are treated as lost: the client will resend both
      await lost;

      const second = await RawClient.open(t, s.port, protocol, { clientId: 'raw-1', resume: connectionKeyOf(connected) });
      const resumed = await second.next(Action.CONNECTED);
      assert.equal(resumed.connectionId, connected.connectionId);
      assert.equal(resumed.error, undefined);
      second.send({ action: Action.MESSAGE, channel: 'dedupe', msgSerial: 0, messages: [{ name: 'once', data: 'a' }] });
      second.send({ action: Action.ATTACH, channel: 'dedupe' });
      await second.next(Action.ATTACHED);
      second.send({ action: Action.PRESENCE, channel: 'dedupe', msgSerial: 1, presence: [{ action: 2, data: 'here' }] });
      second.send({ action: Action.MESSAGE, channel: 'dedupe', msgSerial: 2, messages: [{ name: 'twice', data: 'b' }] });
      await second.next(Action.ACK, (f) => f.msgSerial === 2);

      const acks = second.frames.items.filter((f) => f.action === Action.ACK).map((f) => f.msgSerial);
      assert.deepEqual(acks, [0, 1, 2], 'each serial answered exactly once on the new transport, in order');
      await messages.count(2);
      assert.deepEqual(
        messages.items.map((m) => m.name),
        ['once', 'twice'],
      );
      assert.deepEqual(
        presence.items.map((m) => [m.action, m.clientId]),
        [['enter', 'raw-1']],
      );
    });
  });
}

test('thousands of abandoned connections are all freed after connectionStateTtl', async (t) => {
  const s = await startServer(t, { connectionStateTtl: 1000, remainPresentFor: 1000 });
  const node = s.server.node;
  const count = 2000;
  const disposed = new Collector<string>();
  node.events.on('disposed', disposed.push);
  const clients: RawClient[] = [];
  for (let start = 0; start < count; start += 200) {
    const batch = await Promise.all(
      Array.from({ length: 200 }, (_, i) => RawClient.open(t, s.port, 'json', { clientId: `u${start + i}` })),
    );
    clients.push(...batch);
  }
  for (const [i, c] of clients.entries()) {
    c.send({ action: Action.ATTACH, channel: `room-${i % 10}` });
    c.send({ action: Action.PRESENCE, channel: `room-${i % 10}`, msgSerial: 0, presence: [{ action: 2, data: 'x' }] });
  }
  await Promise.all(clients.map((c) => c.next(Action.ACK)));
  assert.equal(node.connections.size, count);
  for (const c of clients) c.socket.terminate();
  await disposed.count(count);
  assert.equal(node.connections.size, 0);
  assert.deepEqual([...node.channels.channels()], []);
  for (let i = 0; i < 10; i++) assert.equal(await node.presence.store.count(`testapp:room-${i}`), 0);
});

test('SIGTERM: 50 connected clients are told to reconnect (DISCONNECTED) and the process exits 0 in time', async (t) => {
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', '--port', '0', '--host', '127.0.0.1', '--key', TEST_KEY],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  t.after(() => server.kill('SIGKILL'));
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server.once('exit', () => reject(new Error(`server exited early: ${out}`)));
  });
  const clients = Array.from(
    { length: 50 },
    (_, i) => new AblySdk.Realtime({ key: TEST_KEY, clientId: `c${i}`, endpoint: 'localhost', port, tls: false, logLevel: 0 }),
  );
  t.after(() => {
    for (const c of clients) c.close();
  });
  await Promise.all(clients.map((c) => c.connection.once('connected')));
  const disconnected = Promise.all(
    clients.map(
      (c) =>
        new Promise<Ably.ConnectionStateChange>((resolve) =>
          c.connection.once('disconnected', (change: Ably.ConnectionStateChange) => resolve(change)),
        ),
    ),
  );
  const signalledAt = performance.now();
  server.kill('SIGTERM');
  const [changes, [code]] = await Promise.all([disconnected, once(server, 'exit')]);
  const elapsed = performance.now() - signalledAt;
  assert.equal(code, 0);
  assert.ok(elapsed < 5000 + 1000, `exit took ${elapsed} ms; drain time is 5000 ms`);
  assert.equal(changes.filter((c) => c.reason?.code === 80003).length, 50, 'every client got DISCONNECTED 80003');
});
