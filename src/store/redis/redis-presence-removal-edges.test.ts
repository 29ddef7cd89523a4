import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { connectedClients, redisSkip } from '../../../test/helpers/redis.ts';
import { redisTopologies, startRedisBackend, type TestRedisBackend } from '../../../test/helpers/redis-topologies.ts';
import { shardDown } from '../../../test/helpers/shard-down.ts';
import type { ChannelDiffs } from '../../cluster/cluster-presence-store.ts';
import type { PresenceMember } from '../../presence/member.ts';
import { PresenceService } from '../../presence/presence-service.ts';
import { PresenceAction } from '../../protocol/index.ts';
import { ManualClock } from '../../time/manual-clock.ts';
import { MemoryBroker } from '../memory/memory-broker.ts';
import { MemoryHistoryStore } from '../memory/memory-history-store.ts';
import { RedisKeys } from './keys.ts';
import { RedisBus } from './redis-bus.ts';
import { RedisConnectionDirectory } from './redis-connection-directory.ts';
import { RedisPresenceStore } from './redis-presence-store.ts';

const skipAll = redisSkip();

/** Who left where, from diffs: `channel/clientId`, sorted. */
const leftIds = (diffs: ChannelDiffs): string[] =>
  diffs.flatMap((r) => r.diff.left.map((m) => `${r.channel}/${m.clientId}`)).sort();

/** What a removal that failed handed out all the same (its LEAVEs are the caller's to broadcast). */
async function removedDespite(work: Promise<unknown>): Promise<ChannelDiffs> {
  const err = await work.then(
    () => assert.fail('the removal should have been cut short'),
    (e: unknown) => e,
  );
  // Duck-typed (RemovalCutShort), so this file also runs against code that has no such error.
  return (err as { removed?: ChannelDiffs }).removed ?? [];
}

const backends = new Map<string, TestRedisBackend>();
for (const topology of skipAll ? [] : redisTopologies()) backends.set(topology, await startRedisBackend({ after }, topology));
for (const topology of redisTopologies()) {
  const redis = backends.get(topology) as TestRedisBackend;

  /** Nodes sharing one Redis, whose scripts on the members of the channels in `broken` fail (their shard is down). */
  async function setup(t: TestContext) {
    const keys = new RedisKeys(redis.prefix(t));
    const clients = await connectedClients(t, redis.url);
    const broken = new Set<string>();
    const flaky = shardDown(clients.command, (key) => broken.has(key));
    const options = { memberTtl: 60_000, connectionStateTtl: 60_000, departedTtl: 120_000, readPageSize: 3 };
    const store = (nodeId: string) => new RedisPresenceStore(flaky, keys, { ...options, nodeId });
    const bus = new RedisBus(clients, keys);
    const fail = (err: unknown) => assert.fail(String(err));
    const directory = (nodeId: string, presence: RedisPresenceStore) =>
      new RedisConnectionDirectory(clients.command, keys, bus, { nodeId, stateTtl: 60_000 }, fail, (id) => presence.adopt(id));
    const breakChannel = (channel: string) => broken.add(keys.members(channel));
    const repair = () => broken.clear();
    return { keys, redis: clients.command, store, directory, breakChannel, repair };
  }

  const alice = (channel: number, connectionId = 'c1'): PresenceMember => ({
    id: `${connectionId}:0:${channel}`,
    clientId: 'alice',
    connectionId,
    data: 'here',
    timestamp: 5,
  });

  describe(`RedisPresenceStore (${topology}): removals cut short, every LEAVE once`, { skip: skipAll }, () => {
    it('the LEAVEs of the channels a failed removal did remove are handed out with its failure', async (t) => {
      const { store, keys, redis: client, breakChannel, repair } = await setup(t);
      const a = store('node-a');
      for (const [i, channel] of ['app:one', 'app:two', 'app:three'].entries()) await a.upsert(channel, alice(i), 100);
      // The shard of the channel the removal reaches last fails: the others are removed before it.
      const order = await client.smembers(keys.connectionChannels('c1'));
      breakChannel(order.at(-1) as string);
      const handed = await removedDespite(a.removeConnection('c1', 10));
      repair();
      // Handed out now or by the next claim (the owner's pass), and never twice.
      const all = [...leftIds(handed), ...leftIds(await a.reassert(new Set(), 20))].sort();
      assert.deepEqual(all, ['app:one/alice', 'app:three/alice', 'app:two/alice']);
      assert.deepEqual(await a.reassert(new Set(), 30), []);
      for (const channel of order) assert.equal(await a.count(channel), 0);
    });

    it('through the presence service: those LEAVEs are broadcast at once, the rest when finished, each once', async (t) => {
      const { store, keys, redis: client, breakChannel, repair } = await setup(t);
      const a = store('node-a');
      const clock = new ManualClock();
      const broker = new MemoryBroker(new MemoryHistoryStore(clock, { maxAge: 60_000, maxPerChannel: 100 }));
      const leaves: string[] = [];
      broker.onEvent((e) => {
        for (const p of e.message.presence ?? [])
          if (p.action === PresenceAction.LEAVE) leaves.push(`${e.channel}/${p.clientId}`);
      });
      const channels = ['app:one', 'app:two', 'app:three'];
      for (const channel of channels) await broker.subscribe(channel);
      const service = new PresenceService(a, broker, clock);
      for (const [i, channel] of channels.entries()) await a.upsert(channel, alice(i), 100);
      const order = await client.smembers(keys.connectionChannels('c1'));
      breakChannel(order.at(-1) as string);
      await assert.rejects(service.removeConnection('c1'));
      assert.deepEqual(
        leaves.sort(),
        order
          .slice(0, -1)
          .map((ch) => `${ch}/alice`)
          .sort(),
        'broadcast at once',
      );
      repair();
      await service.removeConnection('c1');
      assert.deepEqual(leaves.sort(), order.map((ch) => `${ch}/alice`).sort());
    });

    it('a sweep cut short on one connection still hands out what it removed, and sweeps the others', async (t) => {
      const { store, redis: client, keys, breakChannel, repair } = await setup(t);
      const a = store('node-a');
      for (const id of ['c1', 'c2']) {
        await client.hset(keys.connection(id), 'node', 'node-a', 'state', 'disconnected', 'leaveAt', 1_000);
        await a.scheduleLeave(id, 1_000);
      }
      await a.upsert('app:one', alice(0, 'c1'), 100);
      await a.upsert('app:two', alice(1, 'c2'), 100);
      breakChannel('app:one');
      const handed = await removedDespite(a.sweepLeaves(1_000));
      assert.deepEqual(leftIds(handed), ['app:two/alice'], 'c2 is swept although c1 failed');
      repair();
      assert.deepEqual(leftIds(await a.sweepLeaves(1_100)), ['app:one/alice']);
      assert.deepEqual(await a.sweepLeaves(1_200), []);
    });

    it('the owner dies with a close cut short: the reaper finishes it, though Redis lost the members list', async (t) => {
      const { store, keys, redis: client, breakChannel, repair } = await setup(t);
      const a = store('node-a');
      await client.hset(keys.connection('c1'), 'node', 'node-a', 'state', 'connected');
      await a.upsert('app:room', alice(0), 100);
      breakChannel('app:room');
      await removedDespite(a.removeConnection('c1', 10));
      repair();
      // node-a dies (what it remembered goes with it); the connection's member set there ran out (memberTtl: only
      // its owner refreshed it), while the channel's members hash lives on, refreshed by other members' owners.
      await client.del(keys.connectionMembers('app:room', 'c1'));
      const b = store('node-b');
      assert.deepEqual(leftIds(await b.removeNode('node-a', 20)), ['app:room/alice']);
      assert.equal(await b.count('app:room'), 0);
      assert.deepEqual(await b.removeNode('node-a', 30), []);
      assert.deepEqual(await b.sweepLeaves(40), [], 'exactly once');
    });

    it("…and any node's sweep finishes it when the dead node's list of connections ran out too", async (t) => {
      const { store, keys, redis: client, breakChannel, repair } = await setup(t);
      const a = store('node-a');
      await client.hset(keys.connection('c1'), 'node', 'node-a', 'state', 'connected');
      await a.upsert('app:room', alice(0), 100);
      breakChannel('app:room');
      await removedDespite(a.removeConnection('c1', 10));
      repair();
      await client.del(keys.connectionMembers('app:room', 'c1'));
      await client.del(keys.nodeConnections('node-a'));
      const b = store('node-b');
      assert.deepEqual(await b.removeNode('node-a', 20), []);
      assert.deepEqual(leftIds(await b.sweepLeaves(20)), ['app:room/alice']);
      assert.equal(await b.count('app:room'), 0);
      assert.deepEqual(await b.sweepLeaves(30), [], 'exactly once');
    });
  });

  describe(`RedisPresenceStore (${topology}): a resume while a removal is unfinished`, { skip: skipAll }, () => {
    const record = (id: string) => ({
      id,
      key: `${id}!k1`,
      appId: 'app',
      clientId: 'alice',
      remainPresentFor: 1_000,
      msgSerial: 0,
    });

    /** c1 connected on node-a, present on two channels; node-b and node-c are other nodes. */
    async function connected(t: TestContext, id = 'c1') {
      const s = await setup(t);
      const [a, b, c] = ['node-a', 'node-b', 'node-c'].map((n) => s.store(n)) as [
        RedisPresenceStore,
        RedisPresenceStore,
        RedisPresenceStore,
      ];
      const dirA = s.directory('node-a', a);
      dirA.connected(record(id));
      await a.upsert('app:one', alice(0, id), 100);
      await a.upsert('app:two', alice(1, id), 100);
      // The directory's writes are not awaited; a read on the same slot comes after them.
      assert.equal(await s.redis.hget(s.keys.connection(id), 'node'), 'node-a');
      return { ...s, a, b, c, dirA, resumeOn: (node: string, on: RedisPresenceStore) => s.directory(node, on) };
    }

    it('a closed connection is not resumed (80008): its members all leave, once, none taken along', async (t) => {
      const { a, b, c, keys, redis: client, breakChannel, repair, resumeOn } = await connected(t);
      const order = await client.smembers(keys.connectionChannels('c1'));
      breakChannel(order.at(-1) as string);
      const handed = await removedDespite(a.removeConnection('c1', 10));
      repair();
      assert.equal(await resumeOn('node-b', b).claim('c1!k1', 'c1!k2', 'app', 'alice'), undefined);
      const rest = await c.sweepLeaves(20);
      assert.deepEqual([...leftIds(handed), ...leftIds(rest)].sort(), ['app:one/alice', 'app:two/alice']);
      for (const channel of order) assert.equal(await a.count(channel), 0);
      assert.deepEqual(await a.reassert(new Set(), 30), []);
    });

    it('a connection whose grace ended mid-removal is not resumed until its members all left', async (t) => {
      const { a, b, c, dirA, keys, redis: client, breakChannel, repair, resumeOn } = await connected(t);
      dirA.disconnected('c1', 0, 1_000);
      assert.equal(await client.zscore(keys.leaves(), 'c1'), '1000');
      const order = await client.smembers(keys.connectionChannels('c1'));
      breakChannel(order.at(-1) as string);
      const handed = await removedDespite(c.sweepLeaves(1_000));
      repair();
      assert.equal(await resumeOn('node-b', b).claim('c1!k1', 'c1!k2', 'app', 'alice'), undefined);
      const rest = await c.sweepLeaves(1_100);
      assert.deepEqual([...leftIds(handed), ...leftIds(rest)].sort(), ['app:one/alice', 'app:two/alice']);
      assert.deepEqual(await b.reassert(new Set(['c1']), 1_200), [], 'node-b holds no member of it');
      // Done: like any connection whose grace ended, it can be resumed now, without members.
      assert.ok(await resumeOn('node-b', b).claim('c1!k1', 'c1!k2', 'app', 'alice'));
      for (const channel of order) assert.equal(await a.count(channel), 0);
      await a.reassert(new Set(), 1_300);
      assert.deepEqual(await c.sweepLeaves(1_400), []);
    });

    it('a connection whose members are only in grace resumes on another node with them, and no event', async (t) => {
      const { a, b, c, dirA, keys, redis: client, resumeOn } = await connected(t);
      dirA.disconnected('c1', 0, 1_000);
      assert.equal(await client.zscore(keys.leaves(), 'c1'), '1000');
      assert.ok(await resumeOn('node-b', b).claim('c1!k1', 'c1!k2', 'app', 'alice'));
      assert.deepEqual(await c.sweepLeaves(1_000), []);
      assert.deepEqual(await a.reassert(new Set(), 1_100), [], 'its old node removes nothing');
      assert.deepEqual(await b.reassert(new Set(['c1']), 1_200), []);
      assert.equal(await b.count('app:one'), 1);
      assert.equal(await b.count('app:two'), 1);
    });
  });
}
