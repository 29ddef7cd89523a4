import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type * as Ably from 'ably';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import { Collector, connectionState } from '../helpers/server.ts';
import { clientFor, memberKeys, PresenceLog, startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

for (const [topology, redis] of backends) {
  describe(`cluster on Redis: 3 nodes, one presence set, one order (${topology})`, { skip }, () => {
    it('clients spread across nodes see the same members and every event once, in the same order', async (t) => {
      const nodes = await startNodes(t, redis.url, redis.prefix(t), 3);
      const channelName = 'room-fanout';
      // Watchers (one per node) subscribe to messages and presence.
      const watchers = nodes.map((n, i) => clientFor(t, n.port, { clientId: `watcher-${i}`, useBinaryProtocol: i !== 1 }));
      const logs: Array<{ presence: PresenceLog; messages: Collector<Ably.Message> }> = [];
      for (const w of watchers) {
        const ch = w.channels.get(channelName);
        const messages = new Collector<Ably.Message>();
        await ch.subscribe(messages.push);
        logs.push({ presence: new PresenceLog(ch), messages });
      }
      // 9 members, 3 per node, entering concurrently.
      const members = Array.from({ length: 9 }, (_, i) => clientFor(t, nodes[i % 3]!.port, { clientId: `user-${i}` }));
      await Promise.all(members.map((c, i) => c.channels.get(channelName).presence.enter({ n: i })));
      for (const { presence } of logs) await presence.until((e) => e.filter((m) => m.action === 'enter').length >= 9);

      // Messages from every node, concurrently.
      await Promise.all(members.map((c, i) => c.channels.get(channelName).publish('m', `from-${i}`)));
      for (const { messages } of logs) await messages.count(9);

      // get() is identical from every node, and so is REST presence.
      const sets = await Promise.all(watchers.map((w) => w.channels.get(channelName).presence.get()));
      for (const set of sets) assert.deepEqual(memberKeys(set), memberKeys(sets[0]!));
      assert.equal(sets[0]!.length, 9);
      const restSets = await Promise.all(nodes.map(async (n) => (await n.rest().channels.get(channelName).presence.get()).items));
      for (const set of restSets) assert.deepEqual(memberKeys(set), memberKeys(sets[0]!));

      // Every node's subscribers saw each event once and in one order (by serial and by content).
      const order = (messages: Ably.Message[]) => messages.map((m) => `${m.serial}|${m.data}`);
      const presenceOrder = (p: PresenceLog) => p.events.map((e) => `${e.action}|${e.clientId}|${e.id}`);
      for (const { messages, presence } of logs.slice(1)) {
        assert.deepEqual(order(messages.items), order(logs[0]!.messages.items));
        assert.deepEqual(presenceOrder(presence), presenceOrder(logs[0]!.presence));
      }
      assert.equal(new Set(order(logs[0]!.messages.items)).size, 9);
      assert.equal(logs[0]!.messages.items.length, 9);
      assert.equal(logs[0]!.presence.count('enter'), 9);

      // One member leaves on node 2; everyone sees exactly one LEAVE and the sets stay identical.
      await members[2]!.channels.get(channelName).presence.leave();
      for (const { presence } of logs) await presence.until(() => presence.count('leave') === 1);
      const after = await Promise.all(watchers.map((w) => w.channels.get(channelName).presence.get()));
      for (const set of after) assert.deepEqual(memberKeys(set), memberKeys(after[0]!));
      assert.equal(after[0]!.length, 8);

      // History is shared: REST on any node returns all 9 messages in the same order.
      const histories = await Promise.all(nodes.map(async (n) => (await n.rest().channels.get(channelName).history()).items));
      for (const h of histories) assert.deepEqual(order(h), order(histories[0]!));
      assert.equal(histories[0]!.length, 9);
      for (const w of watchers) await connectionState(w, 'connected');
    });
  });
}
