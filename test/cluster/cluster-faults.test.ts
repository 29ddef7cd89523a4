import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import type * as Ably from 'ably';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import { clientFor, type NodeProcess, spawnNode } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

const STEPS = 14;
const CHANNEL = 'room-faults';

/** Small seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

interface Member {
  clientId: string;
  client: Ably.Realtime;
  node: NodeProcess;
}

/** Resolves once `channel`'s presence set (as the SDK sees it) equals `expected`, re-checking on every event. */
function settled(channel: Ably.RealtimeChannel, expected: string[]): Promise<void> {
  const want = [...expected].sort().join(',');
  return new Promise((resolve) => {
    const check = async () => {
      const now = (await channel.presence.get())
        .map((m) => m.clientId)
        .sort()
        .join(',');
      if (now !== want) return;
      channel.presence.unsubscribe(listener);
      resolve();
    };
    const listener = () => void check();
    channel.presence.subscribe(listener);
    void check();
  });
}

for (const [topology, redis] of backends) {
  describe(`cluster on Redis: randomized faults (${topology})`, { skip }, () => {
    it('after every step (kill -9, restart, join, leave) the presence set equals the live members on every node', async (t: TestContext) => {
      const seed = Number(process.env.ROLLCALL_FAULT_SEED ?? Date.now() % 1_000_000);
      console.log(`# fault test seed ${seed} (ROLLCALL_FAULT_SEED=${seed} replays it)`);
      const random = prng(seed);
      const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
      const settings = { redisPrefix: redis.prefix(t), nodeHeartbeatInterval: 100, nodeDownTimeout: 500, memberTtl: 10_000 };
      let nodes: NodeProcess[] = await Promise.all([0, 1, 2].map(() => spawnNode(t, redis.url, settings)));
      let members: Member[] = [];
      let serial = 0;
      const watchers = new Map<NodeProcess, { client: Ably.Realtime; channel: Ably.RealtimeChannel }>();
      const watcher = async (node: NodeProcess) => {
        let w = watchers.get(node);
        if (!w) {
          const client = clientFor(t, node.port, { clientId: `watcher-${serial++}` });
          w = { client, channel: client.channels.get(CHANNEL) };
          await w.channel.attach();
          watchers.set(node, w);
        }
        return w.channel;
      };
      const log: string[] = [];
      for (let step = 0; step < STEPS; step++) {
        const r = random();
        if (r < 0.15 && nodes.length > 1) {
          const victim = pick(nodes);
          await victim.kill();
          nodes = nodes.filter((n) => n !== victim);
          watchers.get(victim)?.client.close();
          watchers.delete(victim);
          for (const m of members.filter((x) => x.node === victim)) m.client.close();
          members = members.filter((x) => x.node !== victim);
          log.push(`kill node :${victim.port}`);
        } else if (r < 0.3 && nodes.length < 3) {
          nodes.push(await spawnNode(t, redis.url, settings));
          log.push('start node');
        } else if (r < 0.5 && members.length > 0) {
          const m = pick(members);
          m.client.close();
          members = members.filter((x) => x !== m);
          log.push(`close ${m.clientId}`);
        } else {
          const count = 1 + Math.floor(random() * 3);
          for (let i = 0; i < count; i++) {
            const node = pick(nodes);
            const clientId = `c${serial++}`;
            const client = clientFor(t, node.port, { clientId });
            await client.channels.get(CHANNEL).presence.enter({ step });
            members.push({ clientId, client, node });
          }
          log.push(`join ${count}`);
        }
        const expected = members.map((m) => m.clientId);
        await Promise.all(nodes.map(async (n) => settled(await watcher(n), expected)));
        // REST on every live node agrees with the SDK's view.
        for (const n of nodes) {
          const res = await fetch(`http://127.0.0.1:${n.port}/channels/${CHANNEL}/presence`, {
            headers: { authorization: `Basic ${Buffer.from('testapp.key1:secret-one').toString('base64')}` },
          });
          const items = (await res.json()) as Array<{ clientId: string }>;
          assert.deepEqual(items.map((m) => m.clientId).sort(), [...expected].sort(), `step ${step}: ${log.join(', ')}`);
        }
      }
      console.log(`# fault steps: ${log.join(', ')}`);
    });
  });
}
