import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { connectedClients, redisSkip } from '../../../test/helpers/redis.ts';
import { redisTopologies, startRedisBackend, type TestRedisBackend } from '../../../test/helpers/redis-topologies.ts';
import { packValue } from '../../cluster/cluster-message.ts';
import { applyAnnotation, type SummaryState } from '../../messages/summary.ts';
import type { PresenceMember } from '../../presence/member.ts';
import { Action, type Annotation, type ProtocolMessage } from '../../protocol/index.ts';
import { ManualClock } from '../../time/manual-clock.ts';
import { runAnnotationStoreContract } from '../contract/annotation-store.contract.ts';
import { runBrokerContract } from '../contract/broker.contract.ts';
import { runHistoryStoreContract } from '../contract/history-store.contract.ts';
import { runMessageStoreContract } from '../contract/message-store.contract.ts';
import { runOccupancyStoreContract } from '../contract/occupancy-store.contract.ts';
import { runPresenceStoreContract } from '../contract/presence-store.contract.ts';
import { RedisKeys } from './keys.ts';
import { RedisAnnotationStore } from './redis-annotation-store.ts';
import { RedisBroker } from './redis-broker.ts';
import type { RedisClients } from './redis-client.ts';
import { RedisConnectionDirectory } from './redis-connection-directory.ts';
import { RedisHistoryStore } from './redis-history-store.ts';
import { RedisMessageStore } from './redis-message-store.ts';
import { RedisOccupancyStore } from './redis-occupancy-store.ts';
import { RedisPresenceStore } from './redis-presence-store.ts';

/** Resolves once `check` holds, asking again every few ms (the state is in Redis: there is no event to wait on). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await delay(5);
}

const skipAll = redisSkip();

// Every backend runs on one server, on a 3-master Redis Cluster (each script must touch one hash slot) and through
// Sentinel. All are started at load time, before any test is declared, so their teardown belongs to the whole file.
const backends = new Map<string, TestRedisBackend>();
for (const topology of skipAll ? [] : redisTopologies()) backends.set(topology, await startRedisBackend({ after }, topology));
for (const topology of redisTopologies()) {
  const redis = backends.get(topology) as TestRedisBackend;

  /** Fresh connected clients for one "node", closed at test end. */
  const clients = (t: TestContext): Promise<RedisClients> => connectedClients(t, redis.url);

  const presenceOptions = (nodeId: string) => ({
    nodeId,
    memberTtl: 60_000,
    connectionStateTtl: 60_000,
    departedTtl: 120_000,
    readPageSize: 3,
  });

  runPresenceStoreContract({
    name: `redis ${topology}`,
    skipAll,
    create: async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const [a, b] = [await clients(t), await clients(t)];
      return {
        store: new RedisPresenceStore(a.command, keys, presenceOptions('node-a')),
        peer: new RedisPresenceStore(b.command, keys, presenceOptions('node-b')),
      };
    },
  });

  for (const sharded of [true, false]) {
    runBrokerContract({
      name: `redis ${topology} (${sharded ? 'SPUBLISH' : 'PUBLISH'})`,
      skipAll,
      create: async (t) => {
        const keys = new RedisKeys(redis.prefix(t));
        const options = { sharded, numberingTtl: 60_000, retransmitWindow: 60_000 };
        // Events here carry timestamp 1: a clock at 60 s keeps them for the minute the keys live.
        const limits = { maxAge: 60_000, maxPerChannel: 100 };
        const history = new RedisHistoryStore((await clients(t)).command, keys, new ManualClock(60_000), limits);
        const messages = new RedisMessageStore((await clients(t)).command, keys, { ttl: 60_000 });
        const annotations = new RedisAnnotationStore((await clients(t)).command, keys, { ttl: 60_000 });
        return {
          broker: new RedisBroker(await clients(t), keys, options, history, messages, annotations),
          peer: new RedisBroker(await clients(t), keys, options, history, messages, annotations),
          history,
          messages,
          annotations,
        };
      },
    });
  }

  runOccupancyStoreContract({
    name: `redis ${topology}`,
    skipAll,
    create: async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const [a, b] = [await clients(t), await clients(t)];
      // The node registry's list, in a real deployment; the contract writes as nodes a, b and c.
      const options = { ttl: 60_000, nodes: async () => ['a', 'b', 'c'] };
      return {
        store: new RedisOccupancyStore(a.command, keys, options),
        peer: new RedisOccupancyStore(b.command, keys, options),
      };
    },
  });

  runHistoryStoreContract({
    name: `redis ${topology}`,
    skipAll,
    create: async (t, limits) => {
      const clock = new ManualClock();
      const c = await clients(t);
      return { store: new RedisHistoryStore(c.command, new RedisKeys(redis.prefix(t)), clock, limits), clock };
    },
  });

  runMessageStoreContract({
    name: `redis ${topology}`,
    skipAll,
    create: async (t) => new RedisMessageStore((await clients(t)).command, new RedisKeys(redis.prefix(t)), { ttl: 60_000 }),
  });

  runAnnotationStoreContract({
    name: `redis ${topology}`,
    skipAll,
    create: async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      return {
        store: new RedisAnnotationStore((await clients(t)).command, keys, { ttl: 60_000 }),
        peer: new RedisAnnotationStore((await clients(t)).command, keys, { ttl: 60_000 }),
      };
    },
  });

  describe(`RedisAnnotationStore (${topology}): a summary recorded before fold records kept a serial`, { skip: skipAll }, () => {
    it('folds only annotations listed since: those the bare version covers are not folded twice', async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const client = (await clients(t)).command;
      const store = new RedisAnnotationStore(client, keys, { ttl: 60_000 });
      const [ch, msg] = ['app:room', 'e-000000000001:000'];
      const like = (seq: number): Annotation => ({
        serial: `e-${String(seq).padStart(12, '0')}:000`,
        messageSerial: msg,
        type: 'like:total.v1',
        clientId: 'c',
      });
      // As the previous release left them: two annotations listed and folded, the record a bare version (3).
      let old: SummaryState | undefined;
      for (const seq of [2, 3]) {
        await store.add(ch, like(seq));
        old = applyAnnotation(old, like(seq));
      }
      await client.hset(keys.annotationSummaries(ch), msg, packValue(old));
      await client.hset(keys.annotationVersions(ch), msg, '3');
      await store.add(ch, like(6));
      const r = await store.annotate(ch, msg, applyAnnotation);
      assert.deepEqual(r.state, { 'like:total.v1': { method: 'total.v1', total: 3 } });
      assert.equal(r.version, 6);
    });
  });

  describe(`RedisPresenceStore (${topology}): re-assertion after a wrongful removal`, { skip: skipAll }, () => {
    it('a member removed while its connection lives (node wrongly reaped) is written back and returned as entered', async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const owner = new RedisPresenceStore((await clients(t)).command, keys, presenceOptions('node-a'));
      const reaper = new RedisPresenceStore((await clients(t)).command, keys, presenceOptions('node-b'));
      const m: PresenceMember = { id: 'c1:3:0', clientId: 'alice', connectionId: 'c1', data: 'here', timestamp: 5 };
      await owner.upsert('app:room', m, 100);
      const reaped = await reaper.removeNode('node-a', 10);
      assert.deepEqual(
        reaped.flatMap((r) => r.diff.left.map((x) => x.clientId)),
        ['alice'],
      );
      assert.equal(await reaper.count('app:room'), 0);
      // node-a was only slow: its connection c1 is alive, so its next pass writes the member back and announces it.
      const restored = await owner.reassert(new Set(['c1']), 20);
      assert.deepEqual(restored, [{ channel: 'app:room', diff: { entered: [m], updated: [], left: [] } }]);
      assert.deepEqual(await reaper.members('app:room'), [m]);
      // Nothing lost: a second pass has nothing to announce.
      assert.deepEqual(await owner.reassert(new Set(['c1']), 30), []);
    });
  });

  describe(`RedisPresenceStore (${topology}): the periodic re-assertion`, { skip: skipAll }, () => {
    const members = (n: number): PresenceMember[] =>
      Array.from({ length: n }, (_, i) => ({ id: `c1:${i}:0`, clientId: `u${i}`, connectionId: 'c1', timestamp: i }));
    const setKeys = (keys: RedisKeys) => [
      keys.members('app:big'),
      keys.connectionMembers('app:big', 'c1'),
      keys.presenceOrder('app:big'),
      keys.presenceVersion('app:big'),
    ];

    it('refreshes the TTLs of an intact set without writing a member', async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const c = await clients(t);
      const owner = new RedisPresenceStore(c.command, keys, presenceOptions('node-a'));
      for (const m of members(7)) await owner.upsert('app:big', m, 100);
      for (const key of setKeys(keys)) await c.command.pexpire(key, 1_000);
      const version = await owner.version('app:big');
      const count = async (): Promise<number> => {
        const stats = topology === 'single' ? await c.command.info('commandstats') : '';
        return Number(/cmdstat_hsetnx:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      };
      const writesBefore = await count();
      assert.deepEqual(await owner.reassert(new Set(['c1']), 20, false), []);
      for (const key of setKeys(keys)) assert.ok((await c.command.pttl(key)) > 50_000, `${key} refreshed`);
      assert.equal(await count(), writesBefore, 'no member written');
      assert.equal(await owner.version('app:big'), version, 'the version kept: SYNC pages stay reusable');
      assert.equal((await owner.members('app:big')).length, 7);
    });

    it('writes back, in pieces, the members of a connection whose record no longer matches', async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const c = await clients(t);
      const owner = new RedisPresenceStore(c.command, keys, presenceOptions('node-a'));
      const all = members(7);
      for (const m of all) await owner.upsert('app:big', m, 100);
      // As after a failover that lost the last enter: gone from the hash, the connection's set and the order.
      await c.command.hdel(keys.members('app:big'), 'u6:c1');
      await c.command.srem(keys.connectionMembers('app:big', 'c1'), 'u6:c1');
      await c.command.zrem(keys.presenceOrder('app:big'), 'u6:c1');
      const restored = await owner.reassert(new Set(['c1']), 20, false);
      assert.deepEqual(restored, [{ channel: 'app:big', diff: { entered: [all[6]], updated: [], left: [] } }]);
      // Everything gone (Redis restarted): 7 members, more than one piece of readPageSize (3).
      for (const key of setKeys(keys)) await c.command.del(key);
      const back = await owner.reassert(new Set(['c1']), 30, false);
      assert.equal(back[0]?.diff.entered.length, 7);
      assert.equal((await owner.members('app:big')).length, 7);
    });

    it('a thorough pass finds a member missing from the hash alone', async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const c = await clients(t);
      const owner = new RedisPresenceStore(c.command, keys, presenceOptions('node-a'));
      const all = members(4);
      for (const m of all) await owner.upsert('app:big', m, 100);
      await c.command.hdel(keys.members('app:big'), 'u2:c1');
      const restored = await owner.reassert(new Set(['c1']), 20, true);
      assert.deepEqual(restored, [{ channel: 'app:big', diff: { entered: [all[2]], updated: [], left: [] } }]);
      assert.equal((await owner.members('app:big')).length, 4);
    });
  });

  describe(`RedisPresenceStore (${topology}): a set without its entry order`, { skip: skipAll }, () => {
    it('is read whole by HSCAN until its owner re-asserts it, then paged in order again', async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const c = await clients(t);
      const owner = new RedisPresenceStore(c.command, keys, presenceOptions('node-a'));
      for (let i = 0; i < 10; i++) {
        await owner.upsert('app:old', { id: `c1:${i}:0`, clientId: `u${i}`, connectionId: 'c1', timestamp: i }, 100);
      }
      // As a set written before the order existed (or whose order key was lost) looks.
      await c.command.del(keys.presenceOrder('app:old'));
      assert.equal((await owner.members('app:old')).length, 10);
      // Even the periodic pass (not thorough) sees the order short of the hash.
      await owner.reassert(new Set(['c1']), 20, false);
      const pages = [await owner.page('app:old', undefined, 6)];
      pages.push(await owner.page('app:old', pages[0]?.next, 6));
      assert.equal(pages.flatMap((p) => p.members).length, 10);
      assert.equal(pages[1]?.next, undefined);
      assert.equal((await owner.members('app:old')).length, 10);
    });

    it('a quiet set whose version ran out gets a new one at its next re-assertion, never an old value', async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const c = await clients(t);
      const owner = new RedisPresenceStore(c.command, keys, presenceOptions('node-a'));
      await owner.upsert('app:quiet', { id: 'c1:1:0', clientId: 'u', connectionId: 'c1', timestamp: 1 }, 100);
      const before = await owner.version('app:quiet');
      await c.command.del(keys.presenceVersion('app:quiet'));
      assert.equal(await owner.version('app:quiet'), undefined, 'no version: nothing may be reused');
      await owner.reassert(new Set(['c1']), 2, false);
      const after = await owner.version('app:quiet');
      assert.ok(after !== undefined && after !== before, `${before} then ${after}`);
      await owner.reassert(new Set(['c1']), 3, false);
      assert.equal(await owner.version('app:quiet'), after, 'an unchanged set keeps its version');
    });
  });

  describe(`RedisBroker (${topology}): retransmitted publishes`, { skip: skipAll }, () => {
    it("a msgSerial at or below the connection's high-water on the channel is delivered once, overtaken ones too", async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const options = { sharded: true, numberingTtl: 60_000, retransmitWindow: 60_000 };
      const history = new RedisHistoryStore((await clients(t)).command, keys, new ManualClock(), {
        maxAge: 60_000,
        maxPerChannel: 100,
      });
      const [a, b] = [
        new RedisBroker(await clients(t), keys, options, history),
        new RedisBroker(await clients(t), keys, options, history),
      ];
      const delivered: string[] = [];
      let lastDelivered: () => void = () => {};
      const gotLast = new Promise<void>((resolve) => (lastDelivered = resolve));
      b.onEvent((e) => {
        delivered.push(String(e.message.id));
        if (e.message.id === 'c1:8') lastDelivered();
      });
      await b.subscribe('app:ch');
      const msg = (serial: number): ProtocolMessage => ({
        action: Action.MESSAGE,
        id: `c1:${serial}`,
        messages: [{ data: String(serial) }],
      });
      const first = await a.publish('app:ch', msg(5), 'c1');
      // The client resumes on node b and retransmits serial 5: recognized, not delivered again, same serial.
      const again = await b.publish('app:ch', msg(5), 'c1');
      assert.equal(again.duplicate, true);
      assert.equal(again.serial, first.serial);
      // 7 overtakes 6 on its way to Redis: both are new; then both are retransmitted.
      await a.publish('app:ch', msg(7), 'c1');
      const six = await a.publish('app:ch', msg(6), 'c1');
      assert.equal(six.duplicate, undefined);
      for (const n of [6, 7, 5]) assert.equal((await b.publish('app:ch', msg(n), 'c1')).duplicate, true, `serial ${n}`);
      // Another connection's serials are its own; server-made events (no origin) are never held back.
      assert.equal((await a.publish('app:ch', { ...msg(5), id: 'c2:5' }, 'c2')).duplicate, undefined);
      assert.equal((await a.publish('app:ch', { action: Action.MESSAGE, messages: [] })).duplicate, undefined);
      const last = await a.publish('app:ch', msg(8), 'c1');
      await gotLast;
      assert.deepEqual(delivered, ['c1:5', 'c1:7', 'c1:6', 'c2:5', 'undefined', 'c1:8']);
      assert.ok(last.seq > six.seq);
    });
  });

  describe(`RedisPresenceStore (${topology}): a dead node's members`, { skip: skipAll }, () => {
    it('keep their own remainPresentFor past the TTL backstop, then leave once through the sweep', async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const a = await clients(t);
      const bus = { publish: async () => {}, onMessage: () => {} };
      // The directory writes in the background; its errors are collected and checked before the test ends.
      const directoryErrors: unknown[] = [];
      const directory = new RedisConnectionDirectory(a.command, keys, bus, { nodeId: 'node-a', stateTtl: 60_000 }, (e) =>
        directoryErrors.push(e),
      );
      // memberTtl 2 s, grace 30 s: only the hold keeps the member until its LEAVE. (With memberTtl 300 ms, a loaded
      // machine's pause between the upsert and the reap let the keys expire first: PTTL -2.)
      const options = { nodeId: 'node-a', memberTtl: 2_000, connectionStateTtl: 60_000, departedTtl: 120_000, readPageSize: 3 };
      const owner = new RedisPresenceStore(a.command, keys, options);
      const reaper = new RedisPresenceStore((await clients(t)).command, keys, { ...options, nodeId: 'node-b' });
      directory.connected({ id: 'c1', key: 'c1!k', appId: 'app', clientId: 'alice', remainPresentFor: 30_000, msgSerial: 0 });
      // Its script may be retried as EVAL after NOSCRIPT: wait until it is written, so no write of it is still to be
      // issued when the test closes its clients (seen once in CI: "Cluster isn't ready" after the test ended).
      await until(
        async () =>
          (await a.command.hget(keys.connection('c1'), 'state')) === 'connected' &&
          (await a.command.sismember(keys.nodeConnections('node-a'), 'c1')) === 1,
      );
      const m: PresenceMember = { id: 'c1:0:0', clientId: 'alice', connectionId: 'c1', data: 'here', timestamp: 5 };
      await owner.upsert('app:room', m, 100);
      await a.command.zadd(keys.nodes(), 1_000, 'node-a');
      assert.deepEqual(await reaper.removeNode('node-a', 1_600), [], 'nobody leaves at nodeDownTimeout');
      // Its keys are held past the grace (29.4 s from the reap, plus a margin), far beyond memberTtl (2 s).
      for (const key of [keys.members('app:room'), keys.connectionMembers('app:room', 'c1'), keys.connection('c1')]) {
        const ttl = await a.command.pttl(key);
        assert.ok(ttl > 25_000, `${key} held for ${ttl} ms`);
      }
      // An unrelated member's write (TTL memberTtl) never shortens that.
      await owner.upsert('app:room', { ...m, id: 'c2:0:0', clientId: 'bob', connectionId: 'c2' }, 100);
      assert.ok((await a.command.pttl(keys.members('app:room'))) > 25_000);
      assert.equal(await reaper.count('app:room'), 2);
      await reaper.leave('app:room', 'bob', 'c2', { timestamp: 2_000 });
      // The grace counts from the last heartbeat (1 000 + 30 000).
      assert.deepEqual(await reaper.sweepLeaves(30_999), []);
      const swept = await reaper.sweepLeaves(31_000);
      assert.deepEqual(
        swept.flatMap((r) => r.diff.left.map((x) => x.clientId)),
        ['alice'],
      );
      assert.equal(swept[0]?.cause, 'node-down', 'the LEAVE says why its grace began');
      assert.deepEqual(await reaper.sweepLeaves(32_000), [], 'exactly once');
      assert.equal(await reaper.count('app:room'), 0);
      assert.deepEqual(directoryErrors, []);
    });
  });
}
