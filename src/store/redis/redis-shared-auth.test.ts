import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { redisSkip, startRedis } from '../../../test/helpers/redis.ts';
import { redisTopologies, startRedisBackend, type TestRedisBackend } from '../../../test/helpers/redis-topologies.ts';
import { systemClock } from '../../time/clock.ts';
import { runPublishDedupeContract } from '../contract/publish-dedupe.contract.ts';
import { runTokenRevocationsContract } from '../contract/token-revocations.contract.ts';
import { RedisKeys } from './keys.ts';
import { closeRedisClients, connectRedisClients, createRedisClients, type RedisClients } from './redis-client.ts';
import { RedisPublishDedupe } from './redis-publish-dedupe.ts';
import { RedisTokenRevocations } from './redis-token-revocations.ts';

// The stores that make REST/realtime idempotency and token revocation hold cluster-wide, on every topology.
const skipAll = redisSkip();
const backends = new Map<string, TestRedisBackend>();
for (const topology of skipAll ? [] : redisTopologies()) backends.set(topology, await startRedisBackend({ after }, topology));
for (const topology of redisTopologies()) {
  const redis = backends.get(topology) as TestRedisBackend;

  /** Fresh connected clients for one "node", closed at test end. */
  async function clients(t: TestContext): Promise<RedisClients> {
    const c = createRedisClients(redis.url);
    await connectRedisClients(c);
    t.after(() => closeRedisClients(c));
    return c;
  }

  runPublishDedupeContract({
    name: `redis ${topology}`,
    skipAll,
    create: async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      return {
        dedupe: new RedisPublishDedupe((await clients(t)).command, keys, systemClock),
        peer: new RedisPublishDedupe((await clients(t)).command, keys, systemClock),
      };
    },
  });

  runTokenRevocationsContract({
    name: `redis ${topology}`,
    skipAll,
    create: async (t) => {
      const keys = new RedisKeys(redis.prefix(t));
      const started = async () => {
        const r = new RedisTokenRevocations(await clients(t), keys);
        await r.start();
        return r;
      };
      return { revocations: await started(), peer: await started(), later: started };
    },
  });
}

describe('shared auth stores while Redis is unreachable', { skip: skipAll }, () => {
  it('a publish with client ids and a new revocation fail with 50300; presented tokens are checked against the copy', async (t) => {
    const redis = await startRedis(t);
    const keys = new RedisKeys(redis.prefix(t));
    const c = createRedisClients(redis.url);
    await connectRedisClients(c);
    t.after(() => closeRedisClients(c));
    const revocations = new RedisTokenRevocations(c, keys);
    await revocations.start();
    await revocations.revoke('app.key', ['clientId:gone'], 1000, 0);
    const dedupe = new RedisPublishDedupe(c.command, keys, systemClock);
    await redis.stop();
    let published = 0;
    await assert.rejects(
      dedupe.once('k', async () => ({ serials: [`s${++published}`] })),
      (err: { code?: number }) => err.code === 50300,
    );
    assert.equal(published, 0, 'nothing is published that could not be remembered');
    await assert.rejects(
      revocations.revoke('app.key', ['clientId:other'], 1000, 0),
      (err: { code?: number }) => err.code === 50300,
    );
    assert.equal(await revocations.isRevoked('app.key', 'gone', 999, 10), true);
    assert.equal(await revocations.isRevoked('app.key', 'other', 999, 10), false);
  });
});
