import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { redisSkip } from '../helpers/redis.ts';
import { redisTopologies, startRedisBackends } from '../helpers/redis-topologies.ts';
import { clientFor, memberKeys, startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
const run = promisify(execFile);
const backends = await startRedisBackends(
  after,
  skip,
  redisTopologies().filter((t) => t === 'sentinel'),
);

/** How many commands a Redis server answered READONLY (INFO errorstats). */
async function readonlyErrors(port: number): Promise<number> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'INFO', 'errorstats']);
  return Number(/errorstat_READONLY:count=(\d+)/.exec(stdout)?.[1] ?? 0);
}

for (const [topology, redis] of backends) {
  describe(`cluster on Redis: the master is demoted by REPLICAOF while nodes write (${topology})`, { skip }, () => {
    it('writes answered READONLY move to the new master: no member is lost', { timeout: 90_000 }, async (t) => {
      const [a, b] = await startNodes(t, redis.url, redis.prefix(t), 2);
      const name = 'room-demoted';
      const client = clientFor(t, a!.port);
      const writer = client.channels.get(name);
      const entered: string[] = [];
      // As an application would: an enter refused while the node follows the master (50300) is tried again, a
      // little later, for a while.
      const enter = async (clientId: string) => {
        for (let tries = 0; ; tries++) {
          try {
            await writer.presence.enterClient(clientId, 'here');
            entered.push(clientId);
            return;
          } catch (err) {
            if ((err as { statusCode?: number }).statusCode !== 503) throw err;
            assert.ok(tries < 200, `${clientId}: writes never reached a master (${(err as Error).message})`);
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      };
      for (let i = 0; i < 5; i++) await enter(`before-${i}`);

      // Members keep entering while the master is swapped out from under the nodes.
      let demoting = true;
      const during = (async () => {
        for (let i = 0; demoting; i++) await enter(`during-${i}`);
      })();
      const old = await (redis.demote as () => Promise<number>)();
      demoting = false;
      await during;
      for (let i = 0; i < 5; i++) await enter(`after-${i}`);
      assert.ok((await readonlyErrors(old)) > 0, 'the demoted master answered writes READONLY');

      // Every node reads the members from the new master: all of them, once, whatever the swap lost meanwhile
      // (writes that reached the old master after the replica was promoted) being written back by their node.
      const want = entered.map((c) => `${c}:${client.connection.id}`).sort();
      for (const n of [a!, b!]) {
        for (;;) {
          const got = memberKeys((await n.rest().channels.get(name).presence.get({ limit: 1000 })).items);
          if (JSON.stringify(got) === JSON.stringify(want)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const observed = await clientFor(t, b!.port).channels.get(name).presence.get();
      assert.deepEqual(memberKeys(observed), want);
    });
  });
}
