import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type * as Ably from 'ably';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import { Collector } from '../helpers/server.ts';
import { clientFor, startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

const TYPE = 'vote:multiple.v1';
/** The multiple.v1 total of `yes` a summary shows. */
const totalOf = (m: Ably.Message): number =>
  ((m.annotations?.summary?.[TYPE] as Record<string, { total: number }> | undefined)?.yes?.total ?? 0) as number;

for (const [topology, redis] of backends) {
  describe(`cluster on Redis: annotation summaries (${topology})`, { skip }, () => {
    it('annotations published on two nodes at once give one summary sequence, never older after newer', {
      timeout: 60_000,
    }, async (t) => {
      const nodes = await startNodes(t, redis.url, redis.prefix(t), 2);
      const channelName = 'mutable:cluster-votes';
      const logs: Array<Collector<Ably.Message>> = [];
      for (const [i, node] of nodes.entries()) {
        const ch = clientFor(t, node.port, { useBinaryProtocol: i === 0 }).channels.get(channelName);
        const log = new Collector<Ably.Message>();
        await ch.subscribe((m) => {
          if (m.action === 'message.summary') log.push(m);
        });
        logs.push(log);
      }
      // Four voters per node, all voting at once: the nodes record annotations of one message concurrently.
      const voters = Array.from({ length: 8 }, (_, i) =>
        clientFor(t, (nodes[i % 2] as (typeof nodes)[number]).port, { clientId: `voter-${i}` }).channels.get(channelName),
      );
      await Promise.all(voters.map((ch) => ch.attach()));
      const serial = (await (voters[0] as Ably.RealtimeChannel).publish('poll', 'yes or no?')).serials[0] as string;

      const perVoter = 10;
      await Promise.all(
        voters.map(async (ch) => {
          for (let i = 0; i < perVoter; i++) await ch.annotations.publish(serial, { type: TYPE, name: 'yes' });
        }),
      );
      const all = voters.length * perVoter;
      for (const log of logs) await log.until((items) => items.some((m) => totalOf(m) === all));

      const sequence = (log: Collector<Ably.Message>) => log.items.map(totalOf);
      assert.deepEqual(sequence(logs[1] as Collector<Ably.Message>), sequence(logs[0] as Collector<Ably.Message>));
      const seen = sequence(logs[0] as Collector<Ably.Message>);
      for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as number) > (seen[i - 1] as number), `summary ${i} is newer`);
      assert.equal(seen.at(-1), all, 'the last summary counts every vote');
      const last = logs[0]?.items.at(-1) as Ably.Message;
      const yes = last.annotations?.summary?.[TYPE] as Record<string, { clientIds: Record<string, number> }> | undefined;
      const clientIds = yes?.yes?.clientIds;
      assert.deepEqual(
        Object.fromEntries(Object.entries(clientIds ?? {}).sort(([x], [y]) => x.localeCompare(y))),
        Object.fromEntries(voters.map((_, i) => [`voter-${i}`, perVoter])),
      );
      // Each node reads the same latest summary with the message.
      for (const node of nodes) {
        const got = await node.rest().channels.get(channelName).getMessage(serial);
        assert.equal(totalOf(got), all);
      }
    });
  });
}
