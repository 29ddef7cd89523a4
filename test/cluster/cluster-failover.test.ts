import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type * as Ably from 'ably';
import { redisSkip } from '../helpers/redis.ts';
import { redisTopologies, startRedisCluster, startRedisSentinel, type TestRedisBackend } from '../helpers/redis-topologies.ts';
import { connectionState, type TestServer } from '../helpers/server.ts';
import { clientFor, linkIs, memberKeys, PresenceLog, readyStatus, startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
// Failover needs a replica to promote: a 3-master cluster with one replica each, and the Sentinel setup.
const backends: Array<[string, TestRedisBackend]> = [];
for (const topology of redisTopologies()) {
  if (skip || topology === 'single') continue;
  backends.push([topology, topology === 'cluster' ? await startRedisCluster({ after }, 1) : await startRedisSentinel({ after })]);
}

for (const [topology, redis] of backends) {
  describe(`cluster on Redis: the master holding a busy channel fails over (${topology})`, { skip }, () => {
    // A convergence that never comes fails here, naming the case, instead of hanging the file until its timeout.
    it('readiness reports the outage; presence converges with no ghost and no lost LEAVE', { timeout: 60_000 }, async (t) => {
      const prefix = redis.prefix(t);
      const nodes = await startNodes(t, redis.url, prefix, 3);
      const channelName = 'room-failover';
      const observer = clientFor(t, nodes[0]!.port, { clientId: 'observer' }).channels.get(channelName);
      const seen = new PresenceLog(observer);
      await observer.attach();
      const clients = Array.from({ length: 12 }, (_, i) => clientFor(t, nodes[i % 3]!.port, { clientId: `u${i}` }));
      await Promise.all(clients.map((c, i) => c.channels.get(channelName).presence.enter({ i })));
      await seen.until(() => seen.count('enter') === 12);
      for (const n of nodes) assert.equal(await readyStatus(n), 200);

      // The master that holds the channel's members (its slot, on a cluster).
      const victim = await redis.masterFor(`${prefix}pm:{testapp:${channelName}}`);
      const down = nodes.map((n) => linkIs(n, false));
      const up = nodes.map((n) => linkIs(n, true));
      // Each node's link state as last announced: on a fast failover (or a slow machine) a node can be back before
      // the readiness request is answered, and then 200 is right. While its link is down it must answer 503.
      const linkUp = new Map<TestServer, boolean>(nodes.map((n) => [n, true]));
      for (const n of nodes) n.server.node.events.on('cluster-link', (state: boolean) => linkUp.set(n, state));
      const crashedAt = performance.now();
      await redis.crash(victim);
      await Promise.all(down);
      const downAfter = performance.now() - crashedAt;
      for (const n of nodes) {
        const status = await readyStatus(n);
        if (!linkUp.get(n)) assert.equal(status, 503, 'unready while the shard fails over');
      }

      // Churn during the failover: 3 members' clients leave for good (their LEAVEs cannot reach Redis now).
      for (const i of [2, 5, 7]) {
        clients[i]!.close();
        await connectionState(clients[i]!, 'closed');
      }
      await Promise.all(up);
      const upAfter = performance.now() - crashedAt;
      for (const n of nodes) assert.equal(await readyStatus(n), 200);

      // Every node converges to exactly the live members (re-asserted on the promoted master)...
      const liveIds = [0, 1, 3, 4, 6, 8, 9, 10, 11];
      const live = liveIds.map((i) => `u${i}:${clients[i]!.connection.id}`).sort();
      const restSet = async (n: TestServer) => memberKeys((await n.rest().channels.get(channelName).presence.get()).items);
      for (const n of nodes) {
        await new Promise<void>((resolve) => {
          // Convergence follows each node's re-assertion pass: check after every presence event seen and after
          // every pass of every node (a pass that only rewrites Redis shows no event to anyone).
          const check = async () => {
            if (JSON.stringify(await restSet(n)) !== JSON.stringify(live)) return;
            observer.presence.unsubscribe(listener);
            for (const m of nodes) m.server.node.events.off('cluster-reasserted', listener);
            resolve();
          };
          const listener = () => void check();
          observer.presence.subscribe(listener);
          for (const m of nodes) m.server.node.events.on('cluster-reasserted', listener);
          void check();
        });
      }
      // ...and the observer, attached throughout, saw each departed member leave (no ghost, no lost LEAVE).
      await seen.until((e) => [2, 5, 7].every((i) => e.some((m) => m.action === 'leave' && m.clientId === `u${i}`)));
      const ms = (x: number) => Math.round(x);
      console.log(
        `# failover (${topology}): unready after ${ms(downAfter)} ms, ready after ${ms(upAfter)} ms, converged after ${ms(performance.now() - crashedAt)} ms`,
      );
      const got = (await observer.presence.get()).map((m: Ably.PresenceMessage) => `${m.clientId}:${m.connectionId}`).sort();
      assert.deepEqual(got, live);
      // A fresh client everywhere agrees.
      for (const n of nodes) {
        const fresh = clientFor(t, n.port, { clientId: `fresh-${n.port}` }).channels.get(channelName);
        assert.deepEqual(memberKeys(await fresh.presence.get()), live);
      }
    });
  });
}
