import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type * as Ably from 'ably';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import { Collector, connectionState, PROTOCOLS } from '../helpers/server.ts';
import { startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

for (const [topology, redis] of backends) {
  describe(`cluster on Redis: a publish with client ids is applied once, whichever node gets it (${topology})`, { skip }, () => {
    for (const protocol of PROTOCOLS) {
      it(`REST and realtime retries through the other node are published once (${protocol})`, async (t) => {
        const [n0, n1] = await startNodes(t, redis.url, redis.prefix(t), 2);
        const watcher = n0!.realtime({ protocol });
        const seen = new Collector<Ably.Message>();
        await watcher.channels.get('dedupe').subscribe(seen.push);

        // REST: the same ids (as the SDK's idempotentRestPublishing sends on a retry) to each node.
        const batch = [
          { id: 'rest-id:0', name: 'a', data: 'one' },
          { id: 'rest-id:1', name: 'b', data: 'two' },
        ];
        const [first, retry] = [n0!.rest({ protocol }), n1!.rest({ protocol })].map((r) => r.channels.get('dedupe'));
        await first!.publish(batch);
        await retry!.publish(batch);

        // Realtime: two connections, one on each node, publishing the same id.
        const senders = [n0!.realtime({ protocol }), n1!.realtime({ protocol })];
        await Promise.all(senders.map((s) => connectionState(s, 'connected')));
        for (const s of senders) await s.channels.get('dedupe').publish({ id: 'rt-id', name: 'c', data: 'three' });

        // A marker published after both: once it arrives, every earlier delivery has too (one channel, one order).
        await first!.publish('marker', 'end');
        await seen.until((items) => items.some((m) => m.name === 'marker'));
        assert.deepEqual(
          seen.items.map((m) => [m.id, m.data]),
          [
            ['rest-id:0', 'one'],
            ['rest-id:1', 'two'],
            ['rt-id', 'three'],
            [seen.items[3]?.id, 'end'],
          ],
        );
        const history = await retry!.history({ direction: 'forwards' });
        assert.deepEqual(
          history.items.map((m) => m.data),
          ['one', 'two', 'three', 'end'],
        );
      });
    }
  });
}
