import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import type * as Ably from 'ably';
import { Action } from '../../src/protocol/index.ts';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import type { TestServer } from '../helpers/server.ts';
import { Collector, connectionState } from '../helpers/server.ts';
import { clientFor, stallAfterBrokerStep, startNodes, TcpProxy } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

/** Summaries and raw annotations as a watcher on `server` sees them. */
async function watch(t: TestContext, server: TestServer, channelName: string) {
  const summaries = new Collector<Ably.Message>();
  const annotations = new Collector<Ably.Annotation>();
  const channel = clientFor(t, server.port, { clientId: 'watcher' }).channels.get(channelName, {
    modes: ['SUBSCRIBE', 'ANNOTATION_SUBSCRIBE'],
  });
  await channel.annotations.subscribe(annotations.push);
  await channel.subscribe((m) => {
    if (m.action === 'message.summary') summaries.push(m);
  });
  return { summaries, annotations };
}

const VOTE = 'vote:multiple.v1';
const PICK = 'pick:unique.v1';
const votes = (m: Ably.Message | undefined): number =>
  (m?.annotations?.summary?.[VOTE] as Record<string, { total: number }> | undefined)?.yes?.total ?? 0;

/**
 * Issue 16, annotations: an annotation was numbered, delivered and kept in history by the broker step, then listed
 * and folded into its message's summary (annotation-record.lua) in a second step. A node dying between the two left
 * the annotation delivered but missing from the annotation list and from every later summary; the client's
 * retransmission on another node was a duplicate, which the service skips. And annotations of one message from two
 * nodes were folded in the order their second steps reached Redis, not in serial order. Now the broker step lists
 * the annotation, and each summary folds every listed annotation not yet in it, in serial order.
 */
for (const [topology, redis] of backends) {
  describe(`cluster on Redis: an annotation whose node dies after the broker step (${topology})`, { skip }, () => {
    it('an acknowledged annotation retransmitted to another node is listed and in the next summary', async (t) => {
      const name = 'annotation-gap';
      const [a, b] = (await startNodes(t, redis.url, redis.prefix(t), 2)) as [TestServer, TestServer];
      const proxy = new TcpProxy(a.port);
      await proxy.listen(t);
      const publisher = clientFor(t, proxy.port, { clientId: 'voter-a' });
      const channel = publisher.channels.get(name);
      await channel.attach();
      const serial = (await channel.publish('poll', 'yes?')).serials[0] as string;
      const { summaries: log, annotations } = await watch(t, b, name);

      // Node A "dies" right after the broker step of the annotation: nothing it does next happens.
      const dead = stallAfterBrokerStep(a, (m) => m.action === Action.ANNOTATION && m.channel === name);
      const done = channel.annotations.publish(serial, { type: VOTE, name: 'yes' });
      await dead.passed;
      // The load balancer sends the client to node B, where it resumes and retransmits the unacknowledged annotation.
      proxy.hold();
      proxy.dropAll();
      await connectionState(publisher, 'disconnected');
      proxy.route(b.port);
      proxy.release();
      await done;
      await annotations.count(1);

      const rest = b.rest().channels.get(name);
      const listed = await rest.annotations.get(serial, {});
      assert.deepEqual(
        listed.items.map((x) => x.clientId),
        ['voter-a'],
        'acknowledged, so listed',
      );
      // The next annotation's summary, made on node B, counts the one node A never folded.
      const other = clientFor(t, b.port, { clientId: 'voter-b' }).channels.get(name);
      await other.annotations.publish(serial, { type: VOTE, name: 'yes' });
      const clients = (m: Ably.Message) =>
        Object.keys((m.annotations?.summary?.[VOTE] as Record<string, { clientIds: object }> | undefined)?.yes?.clientIds ?? {});
      await log.until((items) => items.some((m) => clients(m).includes('voter-b')));
      assert.equal(votes(log.items.at(-1)), 2, 'the next summary includes it');
      assert.equal(annotations.items.length, 2, 'each annotation delivered once: the retransmission was a duplicate');
      assert.equal(votes(await rest.getMessage(serial)), 2, 'and so does the stored summary');
    });

    it('annotations of one message from two nodes are folded in serial order', async (t) => {
      const name = 'annotation-order';
      const [a, b] = (await startNodes(t, redis.url, redis.prefix(t), 2)) as [TestServer, TestServer];
      const onA = clientFor(t, a.port, { clientId: 'picker' }).channels.get(name);
      const onB = clientFor(t, b.port, { clientId: 'picker' }).channels.get(name);
      await Promise.all([onA.attach(), onB.attach()]);
      const serial = (await onA.publish('poll', 'x or y?')).serials[0] as string;
      // Node A is slow after the broker step of the first pick; node B's pick is numbered after it and done.
      const slow = stallAfterBrokerStep(a, (m) => m.action === Action.ANNOTATION && m.channel === name);
      const first = onA.annotations.publish(serial, { type: PICK, name: 'x' });
      await slow.passed;
      await onB.annotations.publish(serial, { type: PICK, name: 'y' });
      slow.release();
      await first;
      const stored = await b.rest().channels.get(name).getMessage(serial);
      assert.deepEqual(
        stored.annotations?.summary?.[PICK],
        { y: { total: 1, clientIds: ['picker'], clipped: false } },
        'the later pick (by serial) wins',
      );
    });
  });
}
