import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import type * as Ably from 'ably';
import type { ClusterPresenceStore } from '../../src/cluster/cluster-presence-store.ts';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import { PresenceLog, startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

/**
 * Found by the seeded fault test (a live member got a server LEAVE a second after entering, on a loaded machine):
 * the periodic re-assertion removes the members of connections the node no longer serves, and judged that by a
 * copy of the connection list taken before its many round trips, so a client that connected meanwhile was removed.
 */
for (const [topology, redis] of backends) {
  describe(`cluster on Redis: re-assertion and clients connecting during it (${topology})`, { skip }, () => {
    it('a member that enters while a re-assertion pass is under way stays present', async (t) => {
      const [node] = await startNodes(t, redis.url, redis.prefix(t), 1);
      const observer = node!.realtime({ clientId: 'observer' }).channels.get('room-reassert');
      const seen = new PresenceLog(observer);
      await observer.attach();

      // The next pass is slow to reach Redis (as on a loaded machine): a client connects and enters before it does.
      const store = node!.server.node.presence.store as unknown as ClusterPresenceStore;
      const reassert = store.reassert.bind(store);
      let late: Ably.Realtime | undefined;
      let passDone: Promise<unknown> | undefined;
      const slowPass = new Promise<void>((resolve) => {
        store.reassert = async (live, now) => {
          if (!late) {
            late = node!.realtime({ clientId: 'late' });
            await late.channels.get('room-reassert').presence.enter();
            passDone = once(node!.server.node.events, 'cluster-reasserted');
            resolve();
          }
          return reassert(live, now);
        };
      });
      await slowPass;
      await passDone;

      const rest = node!.rest().channels.get('room-reassert');
      assert.deepEqual(
        (await rest.presence.get()).items.map((m) => m.clientId),
        ['late'],
        'still present after the pass',
      );
      // A marker entered after the pass: once the observer has it, any LEAVE the pass broadcast has arrived too.
      await node!.realtime({ clientId: 'marker' }).channels.get('room-reassert').presence.enter();
      await seen.until((events) => events.some((m) => m.clientId === 'marker'));
      assert.deepEqual(
        seen.events.filter((m) => m.clientId === 'late').map((m) => m.action),
        ['enter'],
        'no LEAVE for a live member',
      );
    });
  });
}
