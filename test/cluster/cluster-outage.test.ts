import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import type * as Ably from 'ably';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import { Collector, connectionState } from '../helpers/server.ts';
import { clientFor, linkIs, memberKeys, readyStatus, startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

for (const [topology, redis] of backends) {
  describe(`cluster on Redis: Redis stops and restarts under load (${topology})`, { skip }, () => {
    it('nodes keep their clients, report unready, and converge to exactly the live members', async (t) => {
      const nodes = await startNodes(t, redis.url, redis.prefix(t), 3);
      const channelName = 'room-outage';
      const clients = Array.from({ length: 12 }, (_, i) => clientFor(t, nodes[i % 3]!.port, { clientId: `u${i}` }));
      await Promise.all(clients.map((c, i) => c.channels.get(channelName).presence.enter({ i })));
      const watcher = clientFor(t, nodes[0]!.port, { clientId: 'watcher' }).channels.get(channelName);
      const messages = new Collector<Ably.Message>();
      await watcher.subscribe(messages.push);
      for (const n of nodes) assert.equal(await readyStatus(n), 200);

      // Publishing goes on throughout (the load); every publish either succeeds or fails, none hangs.
      let publishing = true;
      const publisher = clients[1]!.channels.get(channelName);
      const load = (async () => {
        let ok = 0;
        let failed = 0;
        for (let i = 0; publishing; i++) {
          await publisher.publish('load', `p${i}`).then(
            () => ok++,
            () => failed++,
          );
          // A publish can fail without any I/O; yielding keeps this loop from starving the event loop.
          await new Promise((resolve) => setImmediate(resolve));
        }
        return { ok, failed };
      })();

      const down = nodes.map((n) => linkIs(n, false));
      await redis.stop();
      await Promise.all(down);
      for (const n of nodes) assert.equal(await readyStatus(n), 503, 'unready while Redis is down');

      // Local clients are still served (the connection answers a ping) while presence cannot change.
      await clients[0]!.connection.ping();
      // An operation that needs Redis fails fast with 50300 rather than hanging. (The load loop's own in-flight
      // publish may instead wait in the client's offline queue and succeed after the restart, so it proves nothing.)
      await assert.rejects(
        clients[5]!.channels.get(channelName).publish('during', 'outage'),
        (e: Ably.ErrorInfo) => e.code === 50300,
      );
      // Churn during the outage: 3 members' clients go away for good; an ENTER is refused (not in the live set).
      for (const i of [3, 4, 8]) {
        clients[i]!.close();
        await connectionState(clients[i]!, 'closed');
      }
      // A newcomer cannot join the channel (its attach needs Redis): it is not part of the live set.
      const late = clientFor(t, nodes[2]!.port, { clientId: 'late' });
      await assert.rejects(late.channels.get(channelName).attach(), (e: Ably.ErrorInfo) => e.code === 50300);

      const reasserted = nodes.map((n) => once(n.server.node.events, 'cluster-reasserted'));
      await redis.start();
      await Promise.all(reasserted);
      for (const n of nodes) assert.equal(await readyStatus(n), 200);
      publishing = false;
      const { ok, failed } = await load;
      // The loop ended, so every publish was answered one way or the other.
      assert.ok(ok > 0, `publishes during the test: ${ok} ok, ${failed} failed`);

      // The presence set everywhere is exactly the live members.
      const live = [0, 1, 2, 5, 6, 7, 9, 10, 11].map((i) => `u${i}:${clients[i]!.connection.id}`).sort();
      for (const n of nodes) {
        const members = (await n.rest().channels.get(channelName).presence.get()).items;
        assert.deepEqual(memberKeys(members), live);
      }
      // Channel traffic flows again to subscribers attached before the outage.
      const before = messages.items.length;
      await clients[2]!.channels.get(channelName).publish('after', 'outage');
      await messages.until((items) => items.slice(before).some((m) => m.data === 'outage'));
    });
  });
}
