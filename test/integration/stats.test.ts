import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import * as Ably from 'ably';
import { createSandbox } from '../../src/sandbox/index.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { connectionState, OTHER_APP_KEY, PROTOCOLS, type Protocol, startServer } from '../helpers/server.ts';

/** Three minutes in one hour and one in the next month, in Ably's nested fixture shape. */
const FIXTURES = [
  { intervalId: '2025-02-03:15:03', inbound: { realtime: { messages: { count: 50, data: 5000 } } } },
  {
    intervalId: '2025-02-03:15:04',
    inbound: { realtime: { messages: { count: 60, data: 6000 } }, rest: { messages: { count: 1, data: 10 } } },
  },
  { intervalId: '2025-02-03:15:05', inbound: { realtime: { messages: { count: 70, data: 7000 } } }, channels: { peak: 5 } },
  { intervalId: '2025-03-03:15:07', inbound: { realtime: { messages: { count: 15, data: 4000 } } } },
];

/** An app in a sandbox with the fixtures loaded, and an SDK REST client for it. */
async function appWithStats(t: TestContext, protocol: Protocol): Promise<Ably.Rest> {
  const sandbox = createSandbox({ port: 0 });
  const { port } = await sandbox.listen();
  t.after(() => sandbox.close());
  const created = await fetch(`http://127.0.0.1:${port}/apps`, { method: 'POST', body: '{}' });
  const app = (await created.json()) as { keys: Array<{ keyStr: string }>; endpoint: string; port: number };
  const key = app.keys[0]?.keyStr as string;
  const posted = await fetch(`http://127.0.0.1:${port}/stats`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(key).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify(FIXTURES),
  });
  assert.equal(posted.status, 201);
  return new Ably.Rest({
    key,
    endpoint: app.endpoint,
    port: app.port,
    tls: false,
    useBinaryProtocol: protocol === 'msgpack',
    logLevel: 0,
  });
}

const inbound = (s: Ably.Stats) => s.entries['messages.inbound.all.messages.count'];

describe('GET /stats', () => {
  for (const protocol of PROTOCOLS) {
    test(`minutes between interval ids, forwards; transports summed into "all" (${protocol})`, async (t) => {
      const rest = await appWithStats(t, protocol);
      // The SDK passes interval-id strings through as they are, as ably-js's own suite does.
      const page = await rest.stats({ start: '2025-02-03:15:03', end: '2025-02-03:15:05', direction: 'forwards' } as never);
      assert.deepEqual(
        page.items.map((s) => [s.intervalId, (s as { unit?: string }).unit, inbound(s)]),
        [
          ['2025-02-03:15:03', 'minute', 50],
          ['2025-02-03:15:04', 'minute', 61],
          ['2025-02-03:15:05', 'minute', 70],
        ],
      );
      assert.equal(page.items[1]?.entries['messages.inbound.rest.messages.count'], 1);
      assert.equal(page.items[2]?.entries['channels.peak'], 5);
      assert.equal(typeof page.items[0]?.appId, 'string');
      assert.equal(typeof page.items[0]?.schema, 'string');
    });

    test(`units aggregate, epoch-ms ranges, and paging in both directions (${protocol})`, async (t) => {
      const rest = await appWithStats(t, protocol);
      const hours = await rest.stats({ start: '2025-02-03:15', end: '2025-02-03:18', unit: 'hour' } as never);
      assert.deepEqual(
        hours.items.map((s) => [s.intervalId, inbound(s)]),
        [['2025-02-03:15', 181]],
      );
      const months = await rest.stats({ unit: 'month', direction: 'forwards' });
      assert.deepEqual(
        months.items.map((s) => [s.intervalId, inbound(s)]),
        [
          ['2025-02', 181],
          ['2025-03', 15],
        ],
      );
      const ms = await rest.stats({ start: Date.UTC(2025, 1, 3, 15, 3), end: Date.UTC(2025, 2, 3, 15, 6) });
      assert.equal(ms.items.length, 3);
      let page = await rest.stats({ end: '2025-02-03:15:05', limit: 1 } as never);
      const seen: number[] = [];
      for (;;) {
        seen.push(inbound(page.items[0] as Ably.Stats) as number);
        if (!page.hasNext()) break;
        page = (await page.next()) as typeof page;
      }
      assert.deepEqual(seen, [70, 61, 50]);
      assert.ok(page.isLast());
      await assert.rejects(rest.stats({ unit: 'week' } as never), (err: Ably.ErrorInfo) => err.code === 40003);
    });
  }

  for (const protocol of PROTOCOLS) {
    test(`needs the statistics capability: 40160 without it, nothing else changes (${protocol})`, async (t) => {
      const { rest } = await startServer(t);
      const withKey = rest({ protocol });
      const asToken = async (capability: Record<string, string[]>) =>
        rest({ protocol, token: (await withKey.auth.requestToken({ capability: JSON.stringify(capability) })).token });
      const denied = (err: Ably.ErrorInfo) => err.code === 40160 && err.statusCode === 401;
      await assert.rejects((await asToken({ '*': ['subscribe', 'publish'] })).stats(), denied);
      // Everything on one channel is not the app's usage.
      await assert.rejects((await asToken({ chan: ['*'] })).stats(), denied);
      // An explicit grant, under any resource, and everything on every channel, both read stats.
      assert.deepEqual((await (await asToken({ chan: ['statistics'] })).stats()).items, []);
      assert.deepEqual((await (await asToken({ '*': ['*'] })).stats()).items, []);
      assert.deepEqual((await withKey.stats()).items, []);
    });
  }

  for (const protocol of PROTOCOLS) {
    test(`live counters: this node's publishes, presence and connections, the current interval in progress (${protocol})`, async (t) => {
      // 2023-11-14 22:13:20 UTC: the server's clock, so the test decides when minutes turn.
      const clock = new ManualClock(1_700_000_000_000);
      const s = await startServer(t, { clock });
      const realtime = s.realtime({ protocol, clientId: 'member' });
      await connectionState(realtime, 'connected');
      const channel = realtime.channels.get('counted');
      await channel.publish([
        { name: 'a', data: '12345' },
        { name: 'b', data: '67890' },
      ]);
      await channel.presence.enter('here');
      await channel.presence.leave();
      // Closed before the clock jumps, so no dropped connection leaves anything in the next minute.
      realtime.close();
      await connectionState(realtime, 'closed');
      clock.advance(60_000);
      const rest = s.rest({ protocol });
      await rest.channels.get('counted').publish('c', 'xyz');
      // Another app's traffic is its own.
      await s.rest({ protocol, key: OTHER_APP_KEY }).channels.get('counted').publish('other', 'app');

      const minutes = await rest.stats({ unit: 'minute', direction: 'forwards' });
      assert.deepEqual(
        minutes.items.map((m) => [
          m.intervalId,
          m.inProgress,
          m.entries['messages.inbound.realtime.messages.count'],
          m.entries['messages.inbound.realtime.messages.data'],
          m.entries['messages.inbound.realtime.presence.count'],
          m.entries['messages.inbound.rest.messages.count'],
          m.entries['messages.inbound.all.all.count'],
          m.entries['connections.all.opened'],
        ]),
        [
          // Sizes count name and data (and clientId): "a" + "12345" + "member", twice.
          ['2023-11-14:22:13', undefined, 2, 24, 2, undefined, 4, 1],
          ['2023-11-14:22:14', '2023-11-14:22:14:00', undefined, undefined, undefined, 1, 1, undefined],
        ],
      );
      const [hour] = (await rest.stats({ unit: 'hour' })).items;
      assert.equal(hour?.intervalId, '2023-11-14:22');
      assert.equal(hour?.inProgress, '2023-11-14:22:14:00');
      assert.equal(hour?.entries['messages.all.all.count'], 5);
      clock.advance(3_600_000);
      const [over] = (await rest.stats({ unit: 'hour' })).items;
      assert.equal(over?.intervalId, '2023-11-14:22');
      assert.equal(over?.inProgress, undefined, 'an hour that is over is not in progress');
    });
  }
});
