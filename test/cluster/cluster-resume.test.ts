import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import type * as Ably from 'ably';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import { Collector, connectionState } from '../helpers/server.ts';
import { clientFor, memberKeys, PresenceLog, startNodes, TcpProxy } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

for (const [topology, redis] of backends) {
  describe(`cluster on Redis: resume on a different node (${topology})`, { skip }, () => {
    it('keeps connectionId and presence without flicker, and delivers the messages missed meanwhile', async (t) => {
      const [a, b, c] = await startNodes(t, redis.url, redis.prefix(t), 3);
      const proxy = new TcpProxy(a!.port);
      await proxy.listen(t);
      const channelName = 'room-resume';

      const observer = clientFor(t, c!.port, { clientId: 'observer' }).channels.get(channelName);
      const seen = new PresenceLog(observer);
      await observer.attach();

      const mover = clientFor(t, proxy.port, { clientId: 'mover', transportParams: { remainPresentFor: 1000 } });
      const channel = mover.channels.get(channelName);
      const received = new Collector<Ably.Message>();
      await channel.subscribe(received.push);
      await channel.presence.enter('here');
      await seen.until((e) => e.some((m) => m.clientId === 'mover' && m.action === 'enter'));
      const connectionId = mover.connection.id;
      assert.ok(a!.server.node.connections.has(connectionId!));

      // Network cut while new connections are held: the client stays away while others publish.
      proxy.hold();
      proxy.dropAll();
      await connectionState(mover, 'disconnected');
      const publisher = clientFor(t, b!.port, { clientId: 'publisher' }).channels.get(channelName);
      for (let i = 0; i < 5; i++) await publisher.publish('missed', `m${i}`);

      // The load balancer now sends it to node B.
      const movedAway = once(a!.server.node.events, 'disposed');
      proxy.route(b!.port);
      proxy.release();
      await connectionState(mover, 'connected');
      assert.equal(mover.connection.id, connectionId, 'same connectionId after the resume');
      assert.ok(b!.server.node.connections.has(connectionId!));
      const [disposedId] = await movedAway;
      assert.equal(disposedId, connectionId, 'node A dropped its copy');

      const missed = await received.count(5);
      assert.deepEqual(
        missed.map((m) => m.data),
        ['m0', 'm1', 'm2', 'm3', 'm4'],
      );

      // Past the 1 s grace period that started on node A, a marker shows nothing else happened in between.
      await new Promise<void>((resolve) => a!.server.node.clock.setTimeout(resolve, 1_500));
      await clientFor(t, c!.port, { clientId: 'marker' }).channels.get(channelName).presence.enter();
      await seen.until((e) => e.some((m) => m.clientId === 'marker'));
      const moverEvents = seen.events.filter((m) => m.clientId === 'mover').map((m) => m.action);
      assert.deepEqual(moverEvents, ['enter'], 'no LEAVE/ENTER flicker for the resumed member');

      // Every node sees it present once, under the same connection.
      for (const n of [a, b, c]) {
        const members = (await n!.rest().channels.get(channelName).presence.get()).items;
        assert.deepEqual(
          memberKeys(members),
          [`marker:${members.find((m) => m.clientId === 'marker')?.connectionId}`, `mover:${connectionId}`].sort(),
        );
      }

      // And it still works on node B: a message published by it reaches the observer.
      const observed = new Collector<Ably.Message>();
      await observer.subscribe(observed.push);
      await channel.publish('after', 'resume');
      assert.equal((await observed.count(1))[0]?.data, 'resume');
    });
  });
}
