import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import type * as Ably from 'ably';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends, type TestRedisBackend } from '../helpers/redis-topologies.ts';
import { Collector, PROTOCOLS, type TestServer } from '../helpers/server.ts';
import { clientFor, linkIs, startNodes } from './cluster-helpers.ts';

const run = promisify(execFile);
const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

/** The Redis user the cut node connects as: disabling it (and killing its connections) cuts that node alone. */
const USER = 'cutnode';
const PASSWORD = 'cut-secret';

const cli = async (port: number, ...args: string[]) =>
  (await run('redis-cli', ['-p', String(port), ...args], { timeout: 5_000 })).stdout;

/**
 * Cuts one node off Redis, whatever the topology: the node connects as its own ACL user on every master (on a
 * Redis Cluster, to every shard), so disabling the user and killing its connections leaves it unable to reconnect
 * (its AUTH fails) while every other node carries on.
 */
class NodeCut {
  constructor(private readonly redis: TestRedisBackend) {}

  /** The backend's URL with this user's credentials. */
  url(): string {
    return this.redis.url.replace('://', `://${USER}:${PASSWORD}@`);
  }

  async enable(): Promise<void> {
    for (const port of await this.redis.masters())
      await cli(port, 'ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all');
  }

  /** `subscriber`: only its subscription connections (on every shard) drop; its commands still go through. */
  async cut(what: 'all' | 'subscriber'): Promise<void> {
    for (const port of await this.redis.masters()) {
      await cli(port, 'ACL', 'SETUSER', USER, 'off');
      await cli(port, 'CLIENT', 'KILL', 'USER', USER, ...(what === 'subscriber' ? ['TYPE', 'pubsub'] : []));
    }
  }

  async heal(): Promise<void> {
    for (const port of await this.redis.masters()) await cli(port, 'ACL', 'SETUSER', USER, 'on');
  }
}

/**
 * Node A (cut) holds a subscriber; node B (never cut) a publisher. Returns both channels, what A's subscriber
 * receives and the channel's state changes on A's side, with the cut and heal steps.
 */
async function setup(t: TestContext, redis: TestRedisBackend, protocol: string, channelName: string, settings = {}) {
  const cut = new NodeCut(redis);
  await cut.enable();
  const prefix = redis.prefix(t);
  const [a] = (await startNodes(t, cut.url(), prefix, 1, settings)) as [TestServer];
  const [b] = (await startNodes(t, redis.url, prefix, 1, { serverId: 'node-b', ...settings })) as [TestServer];
  const useBinaryProtocol = protocol === 'msgpack';
  const sub = clientFor(t, a.port, { clientId: 'reader', useBinaryProtocol }).channels.get(channelName);
  const pub = clientFor(t, b.port, { clientId: 'writer', useBinaryProtocol }).channels.get(channelName);
  const received = new Collector<Ably.Message>();
  const updates = new Collector<Ably.ChannelStateChange>();
  sub.on('update', updates.push);
  await sub.subscribe(received.push);
  await pub.attach();
  return {
    sub,
    pub,
    received,
    updates,
    async cutA(what: 'all' | 'subscriber' = 'all') {
      const down = linkIs(a, false);
      await cut.cut(what);
      await down;
    },
    async healA() {
      const up = linkIs(a, true);
      await cut.heal();
      await up;
    },
  };
}

const texts = (items: Ably.Message[]) => items.map((m) => `${m.action ?? 'message.create'}:${m.data}`);

for (const [topology, redis] of backends) {
  for (const protocol of PROTOCOLS) {
    describe(`cluster on Redis: messages published while a node is cut off (${topology}, ${protocol})`, { skip }, () => {
      for (const what of ['all', 'subscriber'] as const) {
        const cutWhat = what === 'all' ? 'cut off Redis' : 'its subscriptions dropped (commands still flow)';
        it(`${cutWhat}: its subscriber gets every missed message and operation once, in order, then live ones`, {
          timeout: 40_000,
        }, async (t) => {
          const s = await setup(t, redis, protocol, `missed-replay-${what}`);
          const [first] = (await s.pub.publish('m', 'before')).serials as [string];
          await s.received.count(1);
          const members = new Collector<Ably.PresenceMessage>();
          await s.sub.presence.subscribe(members.push);

          await s.cutA(what);
          const N = 25;
          for (let i = 0; i < N; i++) await s.pub.publish('m', `cut-${i}`);
          // An operation on a message published before the cut: replayed with the messages, in its place.
          await s.pub.updateMessage({ serial: first, data: 'before-edited' } as Ably.Message);
          await s.pub.presence.enter('meanwhile');
          await s.pub.publish('m', 'cut-last');
          assert.equal(s.received.items.length, 1, 'nothing published meanwhile reached the cut node');

          await s.healA();
          for (let i = 0; i < 3; i++) await s.pub.publish('m', `after-${i}`);
          const expected = [
            'message.create:before',
            ...Array.from({ length: N }, (_, i) => `message.create:cut-${i}`),
            'message.update:before-edited',
            'message.create:cut-last',
            'message.create:after-0',
            'message.create:after-1',
            'message.create:after-2',
          ];
          await s.received.until((items) => items.some((m) => m.data === 'after-2'));
          assert.deepEqual(texts(s.received.items), expected);
          // The serials say the same: strictly increasing, so nothing came twice or out of order.
          const serials = s.received.items.map((m) => (m.version?.serial ?? m.serial) as string);
          assert.deepEqual([...serials].sort(), serials);
          assert.equal(new Set(serials).size, serials.length);
          assert.equal(s.updates.items.length, 0, 'continuity kept: no update event');
          assert.equal(s.sub.state, 'attached');
          // The member who entered meanwhile arrives through the presence re-sync.
          await members.until((items) => items.some((m) => m.clientId === 'writer' && m.data === 'meanwhile'));
        });
      }

      it('when retention dropped part of what it missed, its channel is told continuity was lost', {
        timeout: 40_000,
      }, async (t) => {
        // Only the 4 latest messages are retained: 10 published during the cut cannot all be replayed.
        const s = await setup(t, redis, protocol, 'missed-trimmed', { historyMaxPerChannel: 4 });
        await s.pub.publish('m', 'before');
        await s.received.count(1);

        await s.cutA();
        for (let i = 0; i < 10; i++) await s.pub.publish('m', `cut-${i}`);
        await s.healA();

        const [change] = await s.updates.count(1);
        assert.equal(change?.current, 'attached');
        assert.equal(change?.resumed, false);
        assert.equal(change?.reason?.code, 90003);
        assert.equal(s.sub.state, 'attached');
        await s.pub.publish('m', 'after');
        await s.received.until((items) => items.some((m) => m.data === 'after'));
        // No partial replay: the app re-reads history; what it receives live goes on from now.
        assert.deepEqual(texts(s.received.items), ['message.create:before', 'message.create:after']);
        const history = await s.sub.history({ limit: 10 });
        assert.deepEqual(
          history.items.map((m) => m.data),
          ['after', 'cut-9', 'cut-8', 'cut-7'],
        );
      });
    });
  }
}
