import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, type TestContext, test } from 'node:test';
import type * as Ably from 'ably';
import type { ServerOptions } from '../../src/server/create-server.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { spawnPresenceClient } from '../helpers/child.ts';
import { Collector, PROTOCOLS, type Protocol, startServer, TEST_KEY, type TestServer } from '../helpers/server.ts';
import { dropTransport, reconnected } from '../helpers/transport.ts';

/** An agent's key: the metachannel (the bare `*` never covers `[meta]` channels) and nothing else. */
const AGENT_KEY = 'testapp.agent:agent-secret';
const KEYS = { keys: [{ key: TEST_KEY }, { key: AGENT_KEY, capability: { '[meta]clients': ['subscribe'] } }] };

interface Transition {
  name: string;
  data: {
    channel: string;
    clientId: string;
    devices: number;
    connectionId: string;
    reason: string;
    data?: unknown;
    timestamp: number;
  };
}

/** A server and an agent subscribed to `[meta]clients`, collecting every transition. */
async function withAgent(t: TestContext, protocol: Protocol, overrides: ServerOptions = {}) {
  const s = await startServer(t, { ...KEYS, ...overrides });
  const agent = s.realtime({ protocol, key: AGENT_KEY });
  const seen = new Collector<Transition>();
  await agent.channels.get('[meta]clients').subscribe((m: Ably.Message) => seen.push({ name: m.name as string, data: m.data }));
  return { s, seen };
}

/**
 * Proves that everything before it has been seen: a sentinel clientId comes online on the same channel, and
 * transitions of one channel are published in order.
 */
async function sentinel(s: TestServer, seen: Collector<Transition>, protocol: Protocol, channel: string): Promise<void> {
  const client = s.realtime({ protocol, clientId: 'sentinel' });
  await client.channels.get(channel).presence.enter();
  await seen.until((items) => items.some((i) => i.data.clientId === 'sentinel'));
}

const of = (seen: Collector<Transition>, clientId: string) => seen.items.filter((i) => i.data.clientId === clientId);

for (const protocol of PROTOCOLS) {
  describe(`client transitions on [meta]clients (${protocol})`, () => {
    test('desktop and mobile enter, mobile leaves, desktop leaves with a reason: one online, one offline', async (t) => {
      const { s, seen } = await withAgent(t, protocol);
      const desktop = s.realtime({ protocol, clientId: 'user-123' });
      const mobile = s.realtime({ protocol, clientId: 'user-123' });
      const onDesktop = desktop.channels.get('session-42');
      const onMobile = mobile.channels.get('session-42');
      await onDesktop.presence.enter({ device: 'desktop' });
      await onMobile.presence.enter({ device: 'mobile' });
      await onMobile.presence.leave();
      await onDesktop.presence.leave({ reason: 'session-completed' });
      await seen.until(() => of(seen, 'user-123').length >= 2);
      await sentinel(s, seen, protocol, 'session-42');

      const mine = of(seen, 'user-123');
      assert.deepEqual(
        mine.map((i) => i.name),
        ['client.online', 'client.offline'],
      );
      const [online, offline] = mine as [Transition, Transition];
      assert.equal(online.data.channel, 'session-42');
      assert.equal(online.data.devices, 1);
      assert.equal(online.data.connectionId, desktop.connection.id);
      assert.deepEqual(online.data.data, { device: 'desktop' });
      assert.equal(offline.data.devices, 0);
      assert.equal(offline.data.reason, 'leave');
      assert.equal(offline.data.connectionId, desktop.connection.id);
      assert.deepEqual(offline.data.data, { reason: 'session-completed' });
      assert.ok(offline.data.timestamp >= online.data.timestamp);
    });

    test('detach and close make the last device leave with their reason', async (t) => {
      const { s, seen } = await withAgent(t, protocol);
      const a = s.realtime({ protocol, clientId: 'detacher' });
      const channel = a.channels.get('room');
      await channel.presence.enter('here');
      await channel.detach();
      const b = s.realtime({ protocol, clientId: 'closer' });
      await b.channels.get('room').presence.enter('there');
      const closed = once(s.server.node.events, 'disposed');
      b.close();
      await closed;
      await seen.until(() => of(seen, 'detacher').length >= 2 && of(seen, 'closer').length >= 2);
      const detached = of(seen, 'detacher')[1] as Transition;
      const gone = of(seen, 'closer')[1] as Transition;
      assert.deepEqual([detached.name, detached.data.reason, detached.data.data], ['client.offline', 'detach', 'here']);
      assert.deepEqual([gone.name, gone.data.reason, gone.data.data], ['client.offline', 'close', 'there']);
    });

    test('re-entering on another device before the last one left causes nothing', async (t) => {
      const { s, seen } = await withAgent(t, protocol);
      const first = s.realtime({ protocol, clientId: 'user-7' });
      await first.channels.get('room').presence.enter();
      const second = s.realtime({ protocol, clientId: 'user-7' });
      await second.channels.get('room').presence.enter();
      await first.channels.get('room').presence.leave();
      await sentinel(s, seen, protocol, 'room');
      assert.deepEqual(
        of(seen, 'user-7').map((i) => i.name),
        ['client.online'],
      );
    });

    test('a device that resumes within its grace period causes nothing', async (t) => {
      const { s, seen } = await withAgent(t, protocol);
      const device = s.realtime({ protocol, clientId: 'user-9', transportParams: { remainPresentFor: 5000 } });
      const channel = device.channels.get('room');
      await channel.presence.enter('on');
      await seen.until(() => of(seen, 'user-9').length === 1);
      const back = reconnected(device);
      const reattached = new Promise((resolve) => channel.once('attached', resolve));
      dropTransport(s, device);
      await back;
      await reattached;
      // The SDK re-enters right after ATTACHED; a publish acknowledged after that has been handled after it.
      await channel.publish('after', 'resume');
      await sentinel(s, seen, protocol, 'room');
      assert.deepEqual(
        of(seen, 'user-9').map((i) => i.name),
        ['client.online'],
      );
    });
  });
}

describe('client transitions after an abrupt drop', () => {
  test('a killed device goes offline with reason timeout once remainPresentFor has passed (clock driven by hand)', async (t) => {
    const clock = new ManualClock();
    const { s, seen } = await withAgent(t, 'json', { clock });
    const device = await spawnPresenceClient(t, {
      port: s.port,
      key: TEST_KEY,
      protocol: 'msgpack',
      channel: 'session-42',
      clientId: 'user-123',
      data: { device: 'mobile' },
      transportParams: { remainPresentFor: 2000 },
    });
    await seen.until(() => of(seen, 'user-123').length === 1);
    const lost = once(s.server.node.events, 'transport-lost');
    device.process.kill('SIGKILL');
    await lost;
    clock.advance(1999);
    // A transition is published on the server as soon as it happens; the round trip proves none was pending.
    await s.server.integrations.idle();
    assert.equal(of(seen, 'user-123').length, 1, 'offline before the grace period ended');
    clock.advance(1);
    await seen.until(() => of(seen, 'user-123').length === 2);
    const offline = of(seen, 'user-123')[1] as Transition;
    assert.equal(offline.name, 'client.offline');
    assert.equal(offline.data.reason, 'timeout');
    assert.equal(offline.data.connectionId, device.connectionId);
    assert.deepEqual(offline.data.data, { device: 'mobile' });
  });

  test('nobody can publish on [meta]clients, even with a [meta]* capability: transitions cannot be forged', async (t) => {
    const forger = 'testapp.forger:forger-secret';
    const s = await startServer(t, { keys: [{ key: TEST_KEY }, { key: forger, capability: { '[meta]*': ['*'] } }] });
    const client = s.realtime({ key: forger, clientId: 'mallory' });
    const meta = client.channels.get('[meta]clients');
    await meta.attach();
    await assert.rejects(meta.publish('client.offline', { clientId: 'user-123' }), (err: Ably.ErrorInfo) => err.code === 40160);
    await assert.rejects(
      s.rest({ key: forger }).channels.get('[meta]clients').publish('client.offline', 'x'),
      (err: Ably.ErrorInfo) => err.code === 40160,
    );
  });

  test('an agent without a [meta] capability cannot attach to [meta]clients', async (t) => {
    const s = await startServer(t, KEYS);
    const outsider = s.realtime({ key: TEST_KEY });
    await assert.rejects(outsider.channels.get('[meta]clients').attach(), (err: Ably.ErrorInfo) => err.code === 40160);
  });
});
