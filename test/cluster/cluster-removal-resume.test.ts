import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { channelKey } from '../../src/channel/channel-name.ts';
import type { ConnectionLifecycle } from '../../src/node/node.ts';
import { RedisKeys } from '../../src/store/redis/keys.ts';
import type { RedisClient } from '../../src/store/redis/redis-client.ts';
import { connectedClients, redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import { connectionState } from '../helpers/server.ts';
import { shardDown } from '../helpers/shard-down.ts';
import { clientFor, memberKeys, PresenceLog, startNodes, TcpProxy } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

for (const [topology, redis] of backends) {
  describe(`cluster on Redis: a grace period ends while a channel's shard fails over (${topology})`, { skip }, () => {
    it('the client cannot resume into half its members: it gets a new connection, enters again, every old LEAVE once', {
      timeout: 30_000,
    }, async (t) => {
      const prefix = redis.prefix(t);
      const [node] = await startNodes(t, redis.url, prefix, 1);
      const n = node!;
      const keys = new RedisKeys(prefix);
      const clients = await connectedClients(t, redis.url);
      const names = ['room-a', 'room-b'];

      const observer = clientFor(t, n.port, { clientId: 'observer' });
      const logs = names.map((name) => new PresenceLog(observer.channels.get(name)));
      for (const name of names) await observer.channels.get(name).attach();

      const proxy = new TcpProxy(n.port);
      await proxy.listen(t);
      const mover = clientFor(t, proxy.port, { clientId: 'mover', transportParams: { remainPresentFor: 300 } });
      for (const name of names) await mover.channels.get(name).presence.enter('here');
      for (const log of logs) await log.until((e) => e.some((m) => m.clientId === 'mover' && m.action === 'enter'));
      const first = mover.connection.id as string;

      // The shard of the channel the removal reaches last stops answering this node (the store's scripts fail there).
      const listed = await clients.command.smembers(keys.connectionChannels(first));
      assert.equal(listed.length, 2);
      const brokenKey = keys.members(listed[1] as string);
      const healthy = names.findIndex((name) => channelKey('testapp', name) === listed[0]);
      const broken = 1 - healthy;
      let down = true;
      const store = n.server.node.presence.store;
      const direct = Reflect.get(store, 'redis') as RedisClient;
      Reflect.set(
        store,
        'redis',
        shardDown(direct, (key) => down && key === brokenKey),
      );

      // Network cut: the grace period (300 ms) ends while the client is away; only one channel's LEAVE can go out.
      const ended = new Promise<void>((resolve) =>
        n.server.node.events.on('connection', (e: ConnectionLifecycle) => {
          if (e.phase === 'closed' && e.connectionId === first) resolve();
        }),
      );
      proxy.hold();
      proxy.dropAll();
      await connectionState(mover, 'disconnected');
      await logs[healthy]!.until((e) => e.some((m) => m.clientId === 'mover' && m.action === 'leave'));
      assert.equal(await clients.command.scard(keys.connectionChannels(first)), 1, 'one channel is left to do');
      // Half its members gone, the connection cannot go on with what it had: it ends.
      await ended;

      // The shard is back: the old member there leaves, once.
      down = false;
      await logs[broken]!.until((e) => e.some((m) => m.connectionId === first && m.action === 'leave'));

      // The client comes back: it may not resume into half its members; it starts afresh and enters again.
      proxy.release();
      await connectionState(mover, 'connected');
      const second = mover.connection.id as string;
      assert.notEqual(second, first, 'a new connection (80008), not a resume into half its members');
      for (const log of logs) {
        await log.until((e) => e.some((m) => m.clientId === 'mover' && m.connectionId === second && m.action === 'enter'));
      }
      const marker = clientFor(t, n.port, { clientId: 'marker' });
      for (const name of names) await marker.channels.get(name).presence.enter();
      for (const log of logs) await log.until((e) => e.some((m) => m.clientId === 'marker'));
      for (const [i, log] of logs.entries()) {
        const old = log.events.filter((m) => m.connectionId === first).map((m) => m.action);
        assert.deepEqual(old, ['enter', 'leave'], `${names[i]}: the old connection entered and left, once each`);
        const members = (
          await n
            .rest()
            .channels.get(names[i] as string)
            .presence.get()
        ).items;
        const present = memberKeys(members).filter((k) => k.startsWith('mover:'));
        assert.deepEqual(present, [`mover:${second}`], `${names[i]}: present once, under its live connection`);
        const seen = await observer.channels.get(names[i] as string).presence.get();
        assert.deepEqual(
          memberKeys(seen).filter((k) => k.startsWith('mover:')),
          [`mover:${second}`],
          `${names[i]}: what subscribers see`,
        );
      }
    });
  });
}
