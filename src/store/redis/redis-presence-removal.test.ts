import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { connectedClients, redisSkip } from '../../../test/helpers/redis.ts';
import { redisTopologies, startRedisBackend, type TestRedisBackend } from '../../../test/helpers/redis-topologies.ts';
import { shardDown } from '../../../test/helpers/shard-down.ts';
import type { PresenceMember } from '../../presence/member.ts';
import { RedisKeys } from './keys.ts';
import { RedisPresenceStore } from './redis-presence-store.ts';

const skipAll = redisSkip();

const backends = new Map<string, TestRedisBackend>();
for (const topology of skipAll ? [] : redisTopologies()) backends.set(topology, await startRedisBackend({ after }, topology));
for (const topology of redisTopologies()) {
  const redis = backends.get(topology) as TestRedisBackend;

  async function setup(t: TestContext) {
    const keys = new RedisKeys(redis.prefix(t));
    const clients = await connectedClients(t, redis.url);
    const shard = { down: false };
    const options = { nodeId: 'node-a', memberTtl: 60_000, connectionStateTtl: 60_000, departedTtl: 120_000, readPageSize: 3 };
    const flaky = shardDown(clients.command, (key) => shard.down && key === keys.members('app:room'));
    return { keys, redis: clients.command, shard, store: new RedisPresenceStore(flaky, keys, options) };
  }

  const alice: PresenceMember = { id: 'c1:0:0', clientId: 'alice', connectionId: 'c1', data: 'here', timestamp: 5 };
  const leftIds = (diffs: Awaited<ReturnType<RedisPresenceStore['reassert']>>) =>
    diffs.flatMap((r) => r.diff.left.map((m) => `${r.channel}/${m.clientId}`));

  describe(`RedisPresenceStore (${topology}): a removal cut short by the channel's shard`, { skip: skipAll }, () => {
    it("a closed connection's members are removed, once, by the owner's next re-assertion pass", async (t) => {
      const { store, shard } = await setup(t);
      await store.upsert('app:room', alice, 100);
      await store.upsert('app:other', { ...alice, id: 'c1:0:1' }, 100);
      shard.down = true;
      // The claim (on the connection's slot) goes through; app:room's removal does not.
      await assert.rejects(store.removeConnection('c1', 10));
      shard.down = false;
      assert.equal(await store.count('app:room'), 1, 'its LEAVE could not be written');
      // The connection is no longer live here: the pass finishes what the close began, and only that.
      const removed = await store.reassert(new Set(), 20);
      assert.ok(leftIds(removed).includes('app:room/alice'), JSON.stringify(leftIds(removed)));
      assert.equal(await store.count('app:room'), 0);
      assert.equal(await store.count('app:other'), 0);
      assert.deepEqual(await store.reassert(new Set(), 30), [], 'exactly once');
    });

    it("the owner's pass removes them even after Redis' record of them ran out meanwhile (TTL)", async (t) => {
      const { store, shard, keys, redis: client } = await setup(t);
      await store.upsert('app:room', alice, 100);
      shard.down = true;
      await assert.rejects(store.removeConnection('c1', 10));
      shard.down = false;
      // The connection's channel set and member set expire after memberTtl unless their owner refreshes them; the
      // members hash does not while other members' owners refresh it.
      await client.del(keys.connectionChannels('c1'));
      await client.del(keys.connectionMembers('app:room', 'c1'));
      assert.deepEqual(leftIds(await store.reassert(new Set(), 20)), ['app:room/alice']);
      assert.equal(await store.count('app:room'), 0);
      assert.deepEqual(await store.reassert(new Set(), 30), [], 'exactly once');
    });

    it('a grace period that ended is finished by the next sweep', async (t) => {
      const { store, shard, keys, redis: client } = await setup(t);
      await client.hset(keys.connection('c1'), 'node', 'node-a', 'state', 'disconnected', 'leaveAt', 1_000);
      await store.upsert('app:room', alice, 100);
      await store.scheduleLeave('c1', 1_000);
      shard.down = true;
      await assert.rejects(store.sweepLeaves(1_000));
      shard.down = false;
      assert.equal(await store.count('app:room'), 1);
      assert.deepEqual(leftIds(await store.sweepLeaves(1_100)), ['app:room/alice']);
      assert.equal(await store.count('app:room'), 0);
      assert.deepEqual(await store.sweepLeaves(1_200), [], 'exactly once');
    });
  });
}
