import assert from 'node:assert/strict';
import { after, describe, type TestContext, test } from 'node:test';
import * as Ably from 'ably';
import { clientFor } from '../cluster/cluster-helpers.ts';
import { sdkBackends } from '../helpers/backends.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { PROTOCOLS, TEST_KEY } from '../helpers/server.ts';

// Big presence sets (issue 16), sized small through config: SYNC pages of 7 members and store reads of 5, so a few
// hundred members span dozens of pages and reads, in memory and over two nodes sharing Redis. The 100k runs are in
// bench/scenarios/big-sync.ts.
const redis: TestRedis | undefined = redisSkip() ? undefined : await startRedis({ after });
const SMALL = { syncPageSize: 7, presenceReadPageSize: 5, maxInboundRate: 1_000_000 };
const MEMBERS = 300;

/** Enters `count` members from `from` with enterClient, alternating between two backend clients (two nodes). */
async function enterMany(channels: Ably.RealtimeChannel[], prefix: string, from: number, count: number): Promise<void> {
  const entering: Promise<void>[] = [];
  for (let i = from; i < from + count; i++) {
    entering.push((channels[i % channels.length] as Ably.RealtimeChannel).presence.enterClient(`${prefix}${i}`, { i }));
  }
  await Promise.all(entering);
}

for (const backend of sdkBackends(redis)) {
  for (const protocol of PROTOCOLS) {
    describe(`big presence sets: ${backend.name} (${protocol})`, { skip: backend.skip }, () => {
      const client = (t: TestContext, port: number, options: Ably.ClientOptions = {}) =>
        clientFor(t, port, { useBinaryProtocol: protocol === 'msgpack', ...options });

      test('late joiners get a set many pages long, again from the reused pages, and fresh after a change', async (t) => {
        const { ports } = await backend.start(t, SMALL);
        const feeders = ports.map((port) => client(t, port).channels.get('hall'));
        await Promise.all(feeders.map((c) => c.attach()));
        await enterMany(feeders, 'user-', 0, MEMBERS);

        const join = async (clientId: string) => {
          const members = await client(t, ports[1], { clientId }).channels.get('hall').presence.get();
          return new Map(members.map((m) => [m.clientId, m.data]));
        };
        const first = await join('late-1');
        assert.equal(first.size, MEMBERS);
        assert.deepEqual(first.get('user-123'), { i: 123 });
        const second = await join('late-2');
        assert.deepEqual(second, first, 'the same set from pages reused for an unchanged set');

        await (feeders[0] as Ably.RealtimeChannel).presence.leaveClient('user-10');
        await (feeders[1] as Ably.RealtimeChannel).presence.enterClient('user-new', 'n');
        await (feeders[0] as Ably.RealtimeChannel).presence.updateClient('user-20', 'changed');
        const third = await join('late-3');
        assert.equal(third.size, MEMBERS);
        assert.ok(!third.has('user-10'));
        assert.equal(third.get('user-new'), 'n');
        assert.equal(third.get('user-20'), 'changed');
      });

      test('REST presence pages through the set with stable cursors while members come and go', async (t) => {
        const { ports } = await backend.start(t, SMALL);
        const feeders = ports.map((port) => client(t, port).channels.get('hall'));
        await Promise.all(feeders.map((c) => c.attach()));
        await enterMany(feeders, 'user-', 0, MEMBERS);

        const left = new Set<string>();
        const seen: string[] = [];
        let entered = 0;
        const realtimeView = await client(t, ports[0]).channels.get('hall').presence.get();
        assert.equal(realtimeView.length, MEMBERS, 'realtime view before paging');
        const rest = new Ably.Rest({
          key: TEST_KEY,
          endpoint: 'localhost',
          port: ports[1],
          tls: false,
          useBinaryProtocol: protocol === 'msgpack',
          logLevel: 0,
        });
        let result: Ably.PaginatedResult<Ably.PresenceMessage> | null = await rest.channels
          .get('hall')
          .presence.get({ limit: 40 });
        let pages = 0;
        while (result) {
          pages++;
          for (const m of result.items) seen.push(m.clientId);
          assert.ok(result.items.length <= 40);
          // Between pages: one member not yet read leaves, one already read leaves, one updates, one enters (each
          // through the connection that entered it: a member is a clientId on one connection).
          const feederOf = (i: number) => feeders[i % feeders.length] as Ably.RealtimeChannel;
          for (const i of [Math.min(MEMBERS - 1, pages * 40 + 17), pages * 3]) {
            if (left.has(`user-${i}`)) continue;
            await feederOf(i).presence.leaveClient(`user-${i}`);
            left.add(`user-${i}`);
          }
          await feederOf(pages * 40 + 5).presence.updateClient(`user-${pages * 40 + 5}`, 'updated');
          await feederOf(pages).presence.enterClient(`newcomer-${entered++}`, 'n');
          result = result.hasNext() ? await result.next() : null;
        }
        assert.ok(pages >= MEMBERS / 40, `${pages} pages`);
        assert.equal(new Set(seen).size, seen.length, 'no member twice');
        for (let i = 0; i < MEMBERS; i++) {
          const id = `user-${i}`;
          if (!left.has(id)) assert.ok(seen.includes(id), `${id} stayed present but was skipped`);
        }
      });
    });
  }
}
