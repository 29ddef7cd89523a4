import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { FAST_CLUSTER } from '../cluster/cluster-helpers.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startServer } from '../helpers/server.ts';

const skip = redisSkip();
// This file's own redis-server: the test empties it by restarting it.
const redis = (skip ? undefined : await startRedis({ after })) as TestRedis;

describe('message serials when Redis loses the numbering', { skip }, () => {
  it('keep sorting in publish order: the node continues the numbering it saw, a fresh node starts a later epoch', async (t) => {
    const prefix = redis.prefix(t);
    const settings = { redisUrl: redis.url, redisPrefix: prefix, ...FAST_CLUSTER };
    const first = await startServer(t, { ...settings, serverId: 'first' });
    const channel = first.rest().channels.get('numbered');
    const serials: string[] = [];
    const publish = async (ch: typeof channel, n: number) => {
      for (let i = 0; i < n; i++) serials.push(...((await ch.publish('m', `${serials.length}`)).serials as string[]));
    };
    await publish(channel, 11);

    // Redis restarts empty: the node that saw serial 11 continues from there under the same epoch.
    await redis.stop();
    const back = once(first.server.node.events, 'cluster-reasserted');
    await redis.start();
    await back;
    await publish(channel, 2);
    assert.deepEqual([...serials].sort(), serials, 'sorted after a restart the node remembered');

    // Again, but now no node remembers (the only node went away): a new epoch starts, later in time.
    await first.server.close();
    await redis.stop();
    await redis.start();
    const second = await startServer(t, { ...settings, serverId: 'second' });
    await publish(second.rest().channels.get('numbered'), 2);
    const epochs = new Set(serials.map((s) => s.slice(0, s.indexOf('-'))));
    assert.equal(epochs.size, 2, 'the second loss started a new epoch');
    assert.deepEqual([...serials].sort(), serials, 'and its serials sort after every earlier one');
  });
});
