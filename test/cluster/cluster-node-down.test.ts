import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { clientFor, PresenceLog, spawnNode } from './cluster-helpers.ts';

const skip = redisSkip();
const redis = (skip ? undefined : await startRedis({ after })) as TestRedis;

const HEARTBEAT = 100;
const NODE_DOWN = 600;
/** Reaping happens on a survivor's tick after NODE_DOWN of silence; the rest is slack for a loaded test machine. */
const BOUND = NODE_DOWN + 2 * HEARTBEAT + 2_000;

describe('cluster on Redis: a node dies (kill -9)', { skip }, () => {
  it('every survivor sees exactly 100 LEAVEs within the bound, then no ghost remains', async (t) => {
    const settings = {
      redisPrefix: redis.prefix(t),
      nodeHeartbeatInterval: HEARTBEAT,
      nodeDownTimeout: NODE_DOWN,
      memberTtl: 10_000,
    };
    const [victim, ...survivors] = await Promise.all([0, 1, 2].map(() => spawnNode(t, redis.url, settings)));
    const channelName = 'room-kill';
    const watchers = survivors.map((n) => {
      const ch = clientFor(t, n!.port, { clientId: `watcher-${n!.port}` }).channels.get(channelName);
      return { ch, log: new PresenceLog(ch) };
    });
    for (const w of watchers) await w.ch.attach();

    // 100 members held by the victim (one wildcard connection entering on behalf of 100 clientIds).
    const holder = clientFor(t, victim!.port).channels.get(channelName);
    await Promise.all(Array.from({ length: 100 }, (_, i) => holder.presence.enterClient(`member-${i}`, { i })));
    for (const w of watchers) await w.log.until(() => w.log.count('enter') === 100);

    const killedAt = performance.now();
    await victim!.kill();
    const elapsed = await Promise.all(
      watchers.map(async (w) => {
        await w.log.until(() => w.log.count('leave') >= 100);
        return performance.now() - killedAt;
      }),
    );
    console.log(
      `# kill -9 → 100 LEAVEs seen on each survivor after ${elapsed.map((e) => Math.round(e)).join(' / ')} ms (bound ${BOUND})`,
    );
    for (const e of elapsed) assert.ok(e < BOUND, `LEAVEs took ${Math.round(e)} ms`);

    // A marker entering afterwards proves nothing else was in flight: still exactly 100 LEAVEs, each member once.
    await clientFor(t, survivors[0]!.port, { clientId: 'marker' }).channels.get(channelName).presence.enter();
    for (const w of watchers) await w.log.until((e) => e.some((m) => m.clientId === 'marker'));
    for (const w of watchers) {
      const leaves = w.log.events.filter((m) => m.action === 'leave');
      assert.equal(leaves.length, 100);
      assert.equal(new Set(leaves.map((m) => m.clientId)).size, 100);
      // LEAVEs carry the member's data.
      assert.deepEqual(leaves.find((m) => m.clientId === 'member-7')?.data, { i: 7 });
    }
    // Fresh clients on every survivor see only the marker: no ghost.
    for (const n of survivors) {
      const fresh = clientFor(t, n!.port, { clientId: `fresh-${n!.port}` }).channels.get(channelName);
      const members = await fresh.presence.get();
      assert.deepEqual(
        members.map((m) => m.clientId),
        ['marker'],
      );
      const rest = await fetch(`http://127.0.0.1:${n!.port}/health`);
      assert.equal(rest.status, 200);
    }
  });
});
