import { after, type TestContext } from 'node:test';
import { redisSkip, startRedis, type TestRedis } from '../../../test/helpers/redis.ts';
import { runDeliveryQueueContract } from '../contract/delivery-queue.contract.ts';
import { runDeviceRegistryContract } from '../contract/device-registry.contract.ts';
import { RedisKeys } from './keys.ts';
import { closeRedisClients, connectRedisClients, createRedisClients, type RedisClients } from './redis-client.ts';
import { RedisDeliveryQueue } from './redis-delivery-queue.ts';
import { RedisDeviceRegistry } from './redis-device-registry.ts';

const skipAll = redisSkip();
const redis = (skipAll ? undefined : await startRedis({ after })) as TestRedis;

async function clients(t: TestContext): Promise<RedisClients> {
  const c = createRedisClients(redis.url);
  await connectRedisClients(c);
  t.after(() => closeRedisClients(c));
  return c;
}

runDeviceRegistryContract({
  name: 'redis',
  skipAll,
  create: async (t) => {
    const keys = new RedisKeys(redis.prefix(t));
    return {
      registry: new RedisDeviceRegistry((await clients(t)).command, keys),
      peer: new RedisDeviceRegistry((await clients(t)).command, keys),
    };
  },
});

runDeliveryQueueContract({
  name: 'redis',
  skipAll,
  create: async (t) => {
    const keys = new RedisKeys(redis.prefix(t));
    const a = await clients(t);
    return {
      queue: new RedisDeliveryQueue(a.command, keys),
      peer: new RedisDeliveryQueue((await clients(t)).command, keys),
      // What the lease's PX does when its holder stops renewing, without waiting for it.
      lapse: async (webhookId) => {
        await a.command.del(keys.webhookLease(webhookId));
      },
    };
  },
});
