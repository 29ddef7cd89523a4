import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import type * as Ably from 'ably';
import { scrape } from '../helpers/metrics.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { Collector, type TestServer } from '../helpers/server.ts';
import { clientFor, linkIs, startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
const redis = (skip ? undefined : await startRedis({ after })) as TestRedis;

describe('metrics in cluster mode (real Redis)', { skip }, () => {
  it('each node reports its own series labelled with its node id, Redis latency and an outage', async (t) => {
    const nodes = await startNodes(t, redis.url, redis.prefix(t), 2);
    const [a, b] = nodes as [TestServer, TestServer];
    const watcher = clientFor(t, a.port, { clientId: 'watcher' }).channels.get('room');
    const seen = new Collector<Ably.PresenceMessage>();
    await watcher.presence.subscribe(seen.push);
    await clientFor(t, b.port, { clientId: 'on-b' }).channels.get('room').presence.enter('b');
    await seen.until((items) => items.some((m) => m.clientId === 'on-b'));

    const ma = await scrape(a.port);
    const mb = await scrape(b.port);
    // Every series, ours and the process metrics, carries the node id as a label.
    for (const [m, id] of [
      [ma, 'node-0'],
      [mb, 'node-1'],
    ] as const) {
      const all = [...m.series('rollcall_'), ...m.series('process_'), ...m.series('nodejs_')];
      assert.ok(all.length > 50);
      for (const s of all) assert.equal(s.labels.node, id, `${s.name} is labelled with its node`);
      assert.equal(m.get('rollcall_connections_opened_total', { node: id }), 1);
      assert.equal(m.get('rollcall_connections', { node: id, state: 'connected' }), 1);
      assert.equal(m.get('rollcall_redis_up', { node: id }), 1);
      assert.equal(m.get('rollcall_redis_outages_total', { node: id }), 0);
      assert.ok(m.get('rollcall_redis_command_duration_seconds_count', { node: id }) > 0, 'Redis commands are timed');
    }
    // The enter was applied (and broadcast) by node-1 and delivered by node-0 to its watcher.
    assert.equal(mb.get('rollcall_presence_events_total', { node: 'node-1', action: 'enter' }), 1);
    assert.equal(ma.get('rollcall_presence_events_total', { node: 'node-0', action: 'enter' }), 0);
    assert.equal(ma.get('rollcall_messages_sent_total', { node: 'node-0', action: 'presence' }), 1);
    assert.equal(ma.get('rollcall_presence_members', { node: 'node-0' }), 1);

    // Redis goes away: the scrape still answers and says so.
    const down = nodes.map((n) => linkIs(n, false));
    await redis.stop();
    await Promise.all(down);
    const during = await scrape(a.port);
    assert.equal(during.get('rollcall_redis_up', { node: 'node-0' }), 0);
    assert.equal(during.get('rollcall_redis_outages_total', { node: 'node-0' }), 1);
    assert.ok(Number.isNaN(during.get('rollcall_presence_members', { node: 'node-0' })), 'members cannot be counted');

    const reasserted = nodes.map((n) => once(n.server.node.events, 'cluster-reasserted'));
    await redis.start();
    await Promise.all(reasserted);
    const later = await scrape(a.port);
    assert.equal(later.get('rollcall_redis_up', { node: 'node-0' }), 1);
    assert.equal(later.get('rollcall_redis_outages_total', { node: 'node-0' }), 1);
  });
});
