import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { connectionState, OTHER_APP_KEY, PROTOCOLS, startServer } from '../helpers/server.ts';

for (const protocol of PROTOCOLS) {
  describe(`REST channel status and enumeration (${protocol})`, () => {
    test('channel.status() reports occupancy of a known set of connections and follows a close', async (t) => {
      const s = await startServer(t);
      const ch = 'standup';
      // a: all four modes and entered; b: subscribers only; c: may publish and enter, entered;
      // d: presence subscriber only; f: all four modes, not entered; idle: connected but never attached.
      const a = s.realtime({ protocol, clientId: 'a' });
      await a.channels.get(ch).presence.enter();
      const b = s.realtime({ protocol });
      await b.channels.get(ch, { modes: ['SUBSCRIBE', 'PRESENCE_SUBSCRIBE'] }).attach();
      const c = s.realtime({ protocol, clientId: 'c' });
      await c.channels.get(ch, { modes: ['PUBLISH', 'PRESENCE'] }).presence.enter();
      const d = s.realtime({ protocol });
      await d.channels.get(ch, { modes: ['PRESENCE_SUBSCRIBE'] }).attach();
      const f = s.realtime({ protocol });
      await f.channels.get(ch).attach();
      const idle = s.realtime({ protocol });
      await connectionState(idle, 'connected');
      await idle.channels.get('elsewhere').attach();

      const status = await s.rest({ protocol }).channels.get(ch).status();
      assert.deepEqual(status, {
        channelId: ch,
        name: ch,
        status: {
          isActive: true,
          occupancy: {
            metrics: {
              connections: 5,
              publishers: 3,
              subscribers: 3,
              presenceConnections: 3,
              presenceMembers: 2,
              presenceSubscribers: 4,
            },
          },
        },
      });

      const aId = a.connection.id;
      const disposed = once(s.server.node.events, 'disposed');
      a.close();
      assert.deepEqual(await disposed, [aId]);
      // The realtime client's own REST calls work too (same host, port and key).
      // (RealtimeChannel.status() exists at runtime, through RestChannelMixin, but is missing from ably.d.ts.)
      const realtimeChannel = f.channels.get(ch) as unknown as Pick<Ably.Channel, 'status'>;
      const after = await realtimeChannel.status();
      assert.deepEqual(after.status.occupancy.metrics, {
        connections: 4,
        publishers: 2,
        subscribers: 2,
        presenceConnections: 2,
        presenceMembers: 1,
        presenceSubscribers: 3,
      });
    });

    test('a channel nobody uses is inactive with zero occupancy', async (t) => {
      const s = await startServer(t);
      const status = await s.rest({ protocol }).channels.get('nobody here').status();
      assert.equal(status.channelId, 'nobody here');
      assert.equal(status.status.isActive, false);
      assert.deepEqual(Object.values(status.status.occupancy.metrics), [0, 0, 0, 0, 0, 0]);
    });

    test('GET /channels lists active channels of this app, by prefix, as names or details, paginated', async (t) => {
      const s = await startServer(t);
      const client = s.realtime({ protocol, clientId: 'u' });
      for (const name of ['room-2', 'room-1', 'lobby', 'room-3']) await client.channels.get(name).attach();
      await client.channels.get('room-1').presence.enter();
      const stranger = s.realtime({ protocol, key: OTHER_APP_KEY });
      await stranger.channels.get('room-9').attach();
      const rest = s.rest({ protocol });

      const ids = await rest.request('get', '/channels', 6, { prefix: 'room-', by: 'id' });
      assert.equal(ids.statusCode, 200);
      assert.deepEqual(ids.items, ['room-1', 'room-2', 'room-3']);

      const everything = await rest.request('get', '/channels', 6, { by: 'id' });
      assert.deepEqual(everything.items, ['lobby', 'room-1', 'room-2', 'room-3'], "another app's channels stay hidden");

      const pages: string[][] = [];
      let page: Ably.PaginatedResult<unknown> | null = await rest.request('get', '/channels', 6, {
        prefix: 'room-',
        by: 'id',
        limit: 2,
      });
      while (page) {
        pages.push(page.items as string[]);
        page = page.hasNext() ? await page.next() : null;
      }
      assert.deepEqual(pages, [['room-1', 'room-2'], ['room-3']]);

      const details = await rest.request('get', '/channels', 6, { prefix: 'room-1' });
      assert.deepEqual(details.items, [
        {
          channelId: 'room-1',
          name: 'room-1',
          status: {
            isActive: true,
            occupancy: {
              metrics: {
                connections: 1,
                publishers: 1,
                subscribers: 1,
                presenceConnections: 1,
                presenceMembers: 1,
                presenceSubscribers: 1,
              },
            },
          },
        },
      ]);
    });
  });
}
