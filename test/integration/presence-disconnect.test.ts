import assert from 'node:assert/strict';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { describe, type TestContext, test } from 'node:test';
import type * as Ably from 'ably';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { type PresenceChild, spawnPresenceClient } from '../helpers/child.ts';
import { Collector, PROTOCOLS, type Protocol, startServer, TEST_KEY, type TestServer } from '../helpers/server.ts';

/** A watcher subscribed to leaves on `session`, and a device process (user) present there. */
async function watchedDevice(
  t: TestContext,
  s: TestServer,
  protocol: Protocol,
  device: { clientId: string; data: unknown; transportParams?: Record<string, number> },
) {
  const watcher = s.realtime({ protocol, clientId: 'agent' });
  const leaves = new Collector<Ably.PresenceMessage>();
  await watcher.channels.get('session').presence.subscribe('leave', leaves.push);
  const child = await spawnPresenceClient(t, { port: s.port, key: TEST_KEY, protocol, channel: 'session', ...device });
  return { watcher, leaves, child };
}

/** Kills the device process outright and resolves once the server has seen its socket go. */
async function killDevice(s: TestServer, child: PresenceChild): Promise<void> {
  const lost = once(s.server.node.events, 'transport-lost');
  child.process.kill('SIGKILL');
  await lost;
}

for (const protocol of PROTOCOLS) {
  describe(`abrupt disconnects (${protocol})`, () => {
    test('a killed device leaves after remainPresentFor (1 s), not before, with its data', async (t) => {
      const s = await startServer(t);
      const {
        watcher,
        leaves,
        child: device,
      } = await watchedDevice(t, s, protocol, {
        clientId: 'user-123',
        data: { device: 'mobile' },
        transportParams: { remainPresentFor: 1000 },
      });
      await killDevice(s, device);
      const killedAt = performance.now();
      const [leave] = await leaves.count(1);
      const elapsed = performance.now() - killedAt;
      assert.equal(leave?.clientId, 'user-123');
      assert.equal(leave?.connectionId, device.connectionId);
      assert.deepEqual(leave?.data, { device: 'mobile' });
      assert.ok(elapsed >= 950, `leave came after ${elapsed} ms, before remainPresentFor`);
      assert.ok(elapsed < 2000, `leave came after ${elapsed} ms, well after remainPresentFor`);
      assert.deepEqual(await watcher.channels.get('session').presence.get(), []);
    });

    test('with the default remainPresentFor the member stays 15 s (server clock driven by hand)', async (t) => {
      const clock = new ManualClock();
      const s = await startServer(t, { clock });
      const {
        watcher,
        leaves,
        child: device,
      } = await watchedDevice(t, s, protocol, {
        clientId: 'user-123',
        data: { device: 'desktop' },
      });
      await killDevice(s, device);
      clock.advance(14_999);
      // A round trip through the server proves any leave that had been emitted would have arrived first.
      await watcher.connection.ping();
      assert.equal(leaves.items.length, 0, 'left before 15 s');
      assert.equal((await watcher.channels.get('session').presence.get()).length, 1);
      clock.advance(1);
      const [leave] = await leaves.count(1);
      assert.equal(leave?.connectionId, device.connectionId);
    });

    test('a frozen client (SIGSTOP) is declared dead and leaves within heartbeatInterval + margin + remainPresentFor', async (t) => {
      const heartbeatInterval = 500;
      const heartbeatMargin = 300;
      const remainPresentFor = 1000;
      const s = await startServer(t, { minHeartbeatInterval: 100, heartbeatMargin });
      const { leaves, child: device } = await watchedDevice(t, s, protocol, {
        clientId: 'user-frozen',
        data: { device: 'laptop' },
        transportParams: { remainPresentFor, heartbeatInterval },
      });
      device.process.kill('SIGSTOP');
      const frozenAt = performance.now();
      const [leave] = await leaves.count(1);
      const elapsed = performance.now() - frozenAt;
      assert.equal(leave?.clientId, 'user-frozen');
      const bound = heartbeatInterval + heartbeatMargin + remainPresentFor;
      assert.ok(elapsed >= remainPresentFor, `left after ${elapsed} ms: sooner than remainPresentFor`);
      // One liveness sweep (≤ 1/4 of the smallest heartbeat interval) plus scheduling slack.
      assert.ok(elapsed < bound + 500, `left after ${elapsed} ms; bound is ${bound} ms`);
    });

    test('CLOSE and DETACH remove members at once, with server-generated leave ids', async (t) => {
      const s = await startServer(t);
      const watcher = s.realtime({ protocol, clientId: 'agent' });
      const leaves = new Collector<Ably.PresenceMessage>();
      await watcher.channels.get('room').presence.subscribe('leave', leaves.push);
      const closer = s.realtime({ protocol, clientId: 'closer', transportParams: { remainPresentFor: 60_000 } });
      const detacher = s.realtime({ protocol, clientId: 'detacher', transportParams: { remainPresentFor: 60_000 } });
      await closer.channels.get('room').presence.enter('c');
      await detacher.channels.get('room').presence.enter('d');
      const closerId = closer.connection.id;
      closer.close();
      await detacher.channels.get('room').detach();
      await leaves.count(2);
      assert.deepEqual(leaves.items.map((m) => [m.clientId, m.data]).sort(), [
        ['closer', 'c'],
        ['detacher', 'd'],
      ]);
      const closerLeave = leaves.items.find((m) => m.clientId === 'closer');
      assert.equal(closerLeave?.connectionId, closerId);
      assert.ok(!closerLeave?.id.startsWith(closerId as string), 'a server-generated leave must not look like the client’s own');
    });
  });
}
