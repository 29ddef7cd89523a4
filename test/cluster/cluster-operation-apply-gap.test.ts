import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import type * as Ably from 'ably';
import { Action, type ProtocolMessage } from '../../src/protocol/index.ts';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import type { TestServer } from '../helpers/server.ts';
import { Collector, connectionState } from '../helpers/server.ts';
import { clientFor, stallAfterBrokerStep, startNodes, TcpProxy } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

/** A message operation: an item naming the message it changes (it carries a version). */
const isOperation = (m: ProtocolMessage): boolean => m.action === Action.MESSAGE && m.messages?.[0]?.version !== undefined;

/** Node A, and a publisher reaching it through a proxy that can send it to node B instead. */
async function setup(t: TestContext, url: string, prefix: string, channelName: string) {
  const [a, b] = (await startNodes(t, url, prefix, 2)) as [TestServer, TestServer];
  const proxy = new TcpProxy(a.port);
  await proxy.listen(t);
  const publisher = clientFor(t, proxy.port, { clientId: 'author' });
  const channel = publisher.channels.get(channelName);
  await channel.attach();
  const watcher = clientFor(t, b.port, { clientId: 'watcher' }).channels.get(channelName);
  const live = new Collector<Ably.Message>();
  await watcher.subscribe(live.push);
  const serial = (await channel.publish('m', 'Hello')).serials[0] as string;
  await live.count(1);
  return { a, b, proxy, publisher, channel, live, serial };
}

/**
 * Issue 16, message operations: an operation was numbered, delivered and kept in history by the broker step, then
 * recorded in the message store (message-apply.lua) in a second step. A node dying between the two left the
 * operation delivered but the message's stored version without it; the client's retransmission on another node
 * was answered as a duplicate and not recorded either, so getMessage, history and the Chat API showed the old
 * version for good. And two operations on one message from two nodes were recorded in the order their second steps
 * reached Redis, not in serial order (append pieces stored out of order). Now the broker step records it.
 */
for (const [topology, redis] of backends) {
  describe(`cluster on Redis: a message operation whose node dies after the broker step (${topology})`, { skip }, () => {
    for (const kind of ['append', 'update'] as const) {
      it(`an acknowledged ${kind} retransmitted to another node is in the stored message`, async (t) => {
        const name = `op-gap-${kind}`;
        const { a, b, proxy, publisher, channel, live, serial } = await setup(t, redis.url, redis.prefix(t), name);
        // Node A "dies" right after the broker step of the operation: nothing it does next happens.
        const dead = stallAfterBrokerStep(a, (m) => isOperation(m) && m.channel === name);
        const op = kind === 'append' ? { serial, data: ' World' } : { serial, data: 'Hello World' };
        const done = kind === 'append' ? channel.appendMessage(op as Ably.Message) : channel.updateMessage(op as Ably.Message);
        await dead.passed;
        await live.count(2);
        assert.equal(live.items[1]?.action, `message.${kind}`, 'delivered live by the broker step');

        // The load balancer sends the client to node B, where it resumes and retransmits the unacknowledged operation.
        proxy.hold();
        proxy.dropAll();
        await connectionState(publisher, 'disconnected');
        proxy.route(b.port);
        proxy.release();
        const { versionSerial } = await done;

        const rest = b.rest().channels.get(name);
        const stored = await rest.getMessage(serial);
        assert.equal(stored.data, 'Hello World', 'acknowledged, so recorded');
        assert.equal(stored.version?.serial, versionSerial);
        assert.equal((await rest.history()).items[0]?.data, 'Hello World', 'history shows the latest version');
        assert.equal(live.items.length, 2, 'delivered once');
      });
    }

    it('two appends to one message from two nodes are stored in serial order', async (t) => {
      const name = 'op-gap-order';
      const { a, b, channel, live, serial } = await setup(t, redis.url, redis.prefix(t), name);
      const other = clientFor(t, b.port, { clientId: 'author' }).channels.get(name);
      await other.attach();
      // Node A is slow after the broker step of the first append; node B's append is numbered after it and done.
      const slow = stallAfterBrokerStep(a, (m) => isOperation(m) && m.channel === name);
      const first = channel.appendMessage({ serial, data: ' b' } as Ably.Message);
      await slow.passed;
      await other.appendMessage({ serial, data: ' c' } as Ably.Message);
      slow.release();
      await first;
      await live.count(3);
      assert.deepEqual(
        live.items.slice(1).map((m) => m.data),
        [' b', ' c'],
        'delivered in serial order',
      );
      const stored = await b.rest().channels.get(name).getMessage(serial);
      assert.equal(stored.data, 'Hello b c', 'stored in serial order');
    });
  });
}
