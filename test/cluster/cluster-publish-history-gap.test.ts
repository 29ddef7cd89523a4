import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type * as Ably from 'ably';
import { Action } from '../../src/protocol/index.ts';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import { Collector, connectionState } from '../helpers/server.ts';
import { clientFor, stallAfterBrokerStep, startNodes, TcpProxy } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

/**
 * Found by the seeded fault test (cluster-faults, seed 109292, one run in three): a publish was numbered, fanned out
 * and recorded as published (broker-publish.lua, one step), then written to history (history-append.lua, a second
 * step). A node killed between the two steps left a message that was delivered but never stored; the client's
 * retransmission on another node was recognised as a duplicate, acknowledged, and not stored either (issue 16).
 * Now the publish script stores it in the same step, so whatever the node does after the broker step, it is stored.
 */
for (const [topology, redis] of backends) {
  describe(`cluster on Redis: a publish whose node dies before storing it (${topology})`, { skip }, () => {
    it('is in history once the retransmission on another node is acknowledged', async (t) => {
      const [a, b] = await startNodes(t, redis.url, redis.prefix(t), 2);
      const proxy = new TcpProxy(a!.port);
      await proxy.listen(t);
      const publisher = clientFor(t, proxy.port, { clientId: 'publisher' });
      const channel = publisher.channels.get('history-gap');
      await channel.attach();
      const watcher = clientFor(t, b!.port, { clientId: 'watcher' }).channels.get('history-gap');
      const live = new Collector<Ably.Message>();
      await watcher.subscribe(live.push);

      // Node A "dies" right after the broker step of the channel's message: nothing it does next happens (and it
      // answers nothing), whatever that is.
      const dead = stallAfterBrokerStep(a!, (m) => m.action === Action.MESSAGE && m.channel === 'history-gap');
      const published = channel.publish('m', 'in flight');
      await dead.passed;
      assert.equal((await live.count(1))[0]?.data, 'in flight', 'delivered live by the broker step');

      // The load balancer sends the client to node B, where it resumes and retransmits the unacknowledged publish.
      proxy.hold();
      proxy.dropAll();
      await connectionState(publisher, 'disconnected');
      proxy.route(b!.port);
      proxy.release();
      await published;

      const stored = await b!.rest().channels.get('history-gap').history();
      assert.deepEqual(
        stored.items.map((m) => m.data),
        ['in flight'],
        'acknowledged, so stored',
      );
      assert.equal(live.items.length, 1, 'delivered once');
    });
  });
}
