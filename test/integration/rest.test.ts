import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { Collector, PROTOCOLS, startServer } from '../helpers/server.ts';

/** Follows `next()` to the end, returning each page's items. */
async function allPages<T>(first: Ably.PaginatedResult<T>): Promise<T[][]> {
  const pages: T[][] = [];
  let page: Ably.PaginatedResult<T> | null = first;
  while (page) {
    pages.push(page.items);
    page = page.hasNext() ? await page.next() : null;
  }
  return pages;
}

for (const protocol of PROTOCOLS) {
  describe(`REST presence (${protocol})`, () => {
    test('presence get lists both devices of one user and filters by clientId and connectionId', async (t) => {
      const s = await startServer(t);
      const desktop = s.realtime({ protocol, clientId: 'user-123' });
      const mobile = s.realtime({ protocol, clientId: 'user-123' });
      const agent = s.realtime({ protocol, clientId: 'agent-7' });
      await desktop.channels.get('session-42').presence.enter({ device: 'desktop' });
      await mobile.channels.get('session-42').presence.enter({ device: 'mobile' });
      await agent.channels.get('session-42').presence.enter({ model: 'gpt-4' });
      const desktopId = desktop.connection.id as string;
      const mobileId = mobile.connection.id as string;

      const presence = s.rest({ protocol }).channels.get('session-42').presence;
      const all = await presence.get();
      assert.deepEqual(
        all.items.map((m) => [m.action, m.clientId, m.connectionId, m.data]),
        [
          ['present', 'user-123', desktopId, { device: 'desktop' }],
          ['present', 'user-123', mobileId, { device: 'mobile' }],
          ['present', 'agent-7', agent.connection.id, { model: 'gpt-4' }],
        ],
      );
      assert.equal(all.hasNext(), false);
      for (const m of all.items) assert.match(m.id, /^[^:]+:\d+:\d+$/, 'members keep the id of their enter');

      const user = await presence.get({ clientId: 'user-123' });
      assert.deepEqual(user.items.map((m) => m.connectionId).sort(), [desktopId, mobileId].sort());
      const phone = await presence.get({ connectionId: mobileId });
      assert.deepEqual(
        phone.items.map((m) => [m.clientId, m.data]),
        [['user-123', { device: 'mobile' }]],
      );
      const both = await presence.get({ clientId: 'agent-7', connectionId: mobileId });
      assert.deepEqual(both.items, []);

      const pages = await allPages(await presence.get({ limit: 1 }));
      assert.deepEqual(
        pages.map((p) => p.map((m) => m.connectionId)),
        [[desktopId], [mobileId], [agent.connection.id]],
      );
    });

    test('filters survive pagination even with spaces, commas and plus signs in them', async (t) => {
      const s = await startServer(t);
      const odd = 'Ada Lovelace, +1';
      const a = s.realtime({ protocol, clientId: odd });
      const b = s.realtime({ protocol, clientId: odd });
      const other = s.realtime({ protocol, clientId: 'someone' });
      for (const c of [a, b, other]) await c.channels.get('odd/room, #1?').presence.enter();
      const presence = s.rest({ protocol }).channels.get('odd/room, #1?').presence;
      const pages = await allPages(await presence.get({ clientId: odd, limit: 1 }));
      assert.deepEqual(
        pages.map((p) => p.map((m) => m.clientId)),
        [[odd], [odd]],
      );
    });

    test('presence history pages through enter, update and a leave with its reason', async (t) => {
      const s = await startServer(t);
      const agent = s.realtime({ protocol, clientId: 'agent-7' });
      const watcher = s.realtime({ protocol, clientId: 'watcher' });
      const leaves = new Collector<Ably.PresenceMessage>();
      await watcher.channels.get('session-7').presence.subscribe('leave', leaves.push);
      const p = agent.channels.get('session-7').presence;
      await p.enter({ status: 'thinking' });
      await p.update({ status: 'answering' });
      await p.leave({ reason: 'session-completed' });
      await leaves.count(1);

      const history = s.rest({ protocol }).channels.get('session-7').presence;
      const backwards = await allPages(await history.history({ limit: 1 }));
      assert.deepEqual(
        backwards.map((page) => page.map((m) => [m.action, m.clientId, m.data])),
        [
          [['leave', 'agent-7', { reason: 'session-completed' }]],
          [['update', 'agent-7', { status: 'answering' }]],
          [['enter', 'agent-7', { status: 'thinking' }]],
        ],
      );
      const forwards = await allPages(await history.history({ limit: 2, direction: 'forwards' }));
      assert.deepEqual(
        forwards.map((page) => page.map((m) => m.action)),
        [['enter', 'update'], ['leave']],
      );
      const leave = backwards[0]?.[0] as Ably.PresenceMessage;
      assert.equal(leave.connectionId, agent.connection.id);
      assert.match(leave.id, new RegExp(`^${agent.connection.id}:`), 'a client leave keeps its own id');
    });

    test('presence.history({untilAttach}) stops at the attach point', async (t) => {
      const s = await startServer(t);
      const member = s.realtime({ protocol, clientId: 'user-1' });
      await member.channels.get('until').presence.enter('before');
      const late = s.realtime({ protocol, clientId: 'late' });
      const channel = late.channels.get('until');
      const seen = new Collector<Ably.PresenceMessage>();
      await channel.presence.subscribe('update', seen.push);
      await member.channels.get('until').presence.update('after');
      await seen.count(1);

      const untilAttach = await channel.presence.history({ untilAttach: true });
      assert.deepEqual(
        untilAttach.items.map((m) => [m.action, m.data]),
        [['enter', 'before']],
      );
      const everything = await channel.presence.history();
      assert.deepEqual(
        everything.items.map((m) => [m.action, m.data]),
        [
          ['update', 'after'],
          ['enter', 'before'],
        ],
      );
    });
  });

  describe(`REST messages (${protocol})`, () => {
    test('a REST publish reaches a realtime subscriber with its id, clientId and data', async (t) => {
      const s = await startServer(t);
      const sub = s.realtime({ protocol });
      const got = new Collector<Ably.InboundMessage>();
      await sub.channels.get('updates').subscribe(got.push);

      const rest = s.rest({ protocol, clientId: 'backend-1' });
      const result = await rest.channels.get('updates').publish('status', { state: 'done' });
      await rest.channels.get('updates').publish([
        { name: 'bytes', data: Buffer.from([0, 1, 2, 255]) },
        { name: 'text', data: 'plain' },
      ]);
      const [status, bytes, text] = await got.count(3);
      assert.equal(status?.name, 'status');
      assert.deepEqual(status?.data, { state: 'done' });
      assert.equal(status?.clientId, 'backend-1');
      assert.match(status?.id ?? '', /^.+:0$/);
      assert.deepEqual(result.serials, [status?.serial]);
      assert.deepEqual(Buffer.from(bytes?.data as Uint8Array), Buffer.from([0, 1, 2, 255]));
      assert.equal(text?.data, 'plain');
    });

    test('publishing the same client-supplied ids twice publishes once and returns the same serials', async (t) => {
      const s = await startServer(t);
      const sub = s.realtime({ protocol });
      const got = new Collector<Ably.InboundMessage>();
      await sub.channels.get('orders').subscribe(got.push);
      const channel = s.rest({ protocol }).channels.get('orders');

      const messages = [
        { id: 'order-17:0', name: 'created', data: 'a' },
        { id: 'order-17:1', name: 'paid', data: 'b' },
      ];
      const first = await channel.publish(messages);
      const again = await channel.publish(messages);
      await channel.publish({ id: 'marker:0', name: 'marker' });
      const items = await got.until((all) => all.some((m) => m.name === 'marker'));

      assert.deepEqual(
        items.map((m) => [m.id, m.name]),
        [
          ['order-17:0', 'created'],
          ['order-17:1', 'paid'],
          ['marker:0', 'marker'],
        ],
      );
      assert.equal(first.serials.length, 2);
      assert.deepEqual(again.serials, first.serials);
      const history = await channel.history();
      assert.deepEqual(
        history.items.map((m) => m.id),
        ['marker:0', 'order-17:1', 'order-17:0'],
      );
    });

    test('message history pages backwards and forwards with Link headers, and filters by time', async (t) => {
      const s = await startServer(t);
      const channel = s.rest({ protocol }).channels.get('feed');
      for (let i = 1; i <= 5; i++) await channel.publish('n', `m${i}`);

      const backwards = await allPages(await channel.history({ limit: 2 }));
      assert.deepEqual(
        backwards.map((p) => p.map((m) => m.data)),
        [['m5', 'm4'], ['m3', 'm2'], ['m1']],
      );
      const forwards = await allPages(await channel.history({ limit: 2, direction: 'forwards' }));
      assert.deepEqual(
        forwards.map((p) => p.map((m) => m.data)),
        [['m1', 'm2'], ['m3', 'm4'], ['m5']],
      );
      const page = await channel.history({ limit: 2 });
      const next = await page.next();
      const first = await next?.first();
      assert.deepEqual(
        first?.items.map((m) => m.data),
        ['m5', 'm4'],
        'first() goes back to the first page',
      );
    });

    test('history start and end select an inclusive time window', async (t) => {
      const clock = new ManualClock(1_800_000_000_000);
      const s = await startServer(t, { clock });
      const channel = s.rest({ protocol }).channels.get('timed');
      for (let i = 1; i <= 5; i++) {
        await channel.publish('n', `m${i}`);
        clock.advance(1000);
      }
      const t0 = 1_800_000_000_000;
      const window = await channel.history({ start: t0 + 1000, end: t0 + 3000 });
      assert.deepEqual(
        window.items.map((m) => [m.data, m.timestamp]),
        [
          ['m4', t0 + 3000],
          ['m3', t0 + 2000],
          ['m2', t0 + 1000],
        ],
      );
      const since = await channel.history({ start: t0 + 4000, direction: 'forwards' });
      assert.deepEqual(
        since.items.map((m) => m.data),
        ['m5'],
      );
    });

    test('channel.history({untilAttach}) sends from_serial and gets only messages before the attach', async (t) => {
      const s = await startServer(t);
      const rest = s.rest({ protocol }).channels.get('ticker');
      await rest.publish('tick', 'old-1');
      await rest.publish('tick', 'old-2');
      const client = s.realtime({ protocol });
      const channel = client.channels.get('ticker');
      const got = new Collector<Ably.InboundMessage>();
      await channel.subscribe(got.push);
      await rest.publish('tick', 'new-1');
      await got.count(1);

      const untilAttach = await channel.history({ untilAttach: true });
      assert.deepEqual(
        untilAttach.items.map((m) => m.data),
        ['old-2', 'old-1'],
      );
      const everything = await channel.history();
      assert.deepEqual(
        everything.items.map((m) => m.data),
        ['new-1', 'old-2', 'old-1'],
      );
    });

    test('binary data round-trips through history in either format', async (t) => {
      const s = await startServer(t);
      const other = protocol === 'json' ? 'msgpack' : 'json';
      const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0]);
      await s.rest({ protocol }).channels.get('bin').publish('blob', bytes);
      for (const reader of [protocol, other] as const) {
        const [m] = (await s.rest({ protocol: reader }).channels.get('bin').history()).items;
        assert.deepEqual(Buffer.from(m?.data as Uint8Array), bytes, `read as ${reader}`);
        assert.ok(!m?.encoding, 'the base64 step is decoded away');
      }
    });

    test('rest.time() answers the server clock', async (t) => {
      const s = await startServer(t);
      const before = Date.now();
      const time = await s.rest({ protocol }).time();
      assert.ok(time >= before - 1000 && time <= Date.now() + 1000);
    });
  });
}
