import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type * as Ably from 'ably';
import type { ChannelMetrics } from '../../src/occupancy/metrics.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { Collector } from '../helpers/server.ts';
import { clientFor, FAST_CLUSTER, spawnNode, startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
const redis = (skip ? undefined : await startRedis({ after })) as TestRedis;

const last = <T>(items: T[]): T | undefined => items[items.length - 1];

describe('cluster on Redis: occupancy is cluster-wide', { skip }, () => {
  it('events and REST count every node’s attachments; a killed node’s stop counting once it is reaped', async (t) => {
    const prefix = redis.prefix(t);
    const [a, b] = await startNodes(t, redis.url, prefix, 2, { occupancyEventInterval: 25 });
    const victim = await spawnNode(t, redis.url, { redisPrefix: prefix, serverId: 'victim', ...FAST_CLUSTER });
    const ch = 'room-occupancy';

    const watcher = clientFor(t, a!.port);
    const channel = watcher.channels.get(ch, { params: { occupancy: 'metrics' } });
    const events = new Collector<ChannelMetrics>();
    channel.subscribe('[meta]occupancy', (m: Ably.InboundMessage) =>
      events.push((m.data as { metrics: ChannelMetrics }).metrics),
    );
    await channel.attach();
    await events.count(1);

    // Two members on node b, a subscriber-only client on the victim.
    const members = [0, 1].map((i) => clientFor(t, b!.port, { clientId: `m${i}`, useBinaryProtocol: i === 0 }));
    await Promise.all(members.map((c) => c.channels.get(ch).presence.enter()));
    // A dead node's members keep their own grace (1 s here) before they leave.
    const doomed = clientFor(t, victim.port, { clientId: 'doomed', transportParams: { remainPresentFor: 1_000 } });
    await doomed.channels.get(ch).presence.enter();
    const reader = clientFor(t, victim.port);
    await reader.channels.get(ch, { modes: ['SUBSCRIBE'] }).attach();
    const all = {
      connections: 5,
      publishers: 4,
      subscribers: 5,
      presenceConnections: 4,
      presenceMembers: 3,
      presenceSubscribers: 4,
    };
    await events.until((items) => JSON.stringify(last(items)) === JSON.stringify(all));
    // Every node's REST answers the same (the victim's own attachments counted live, the others' from Redis).
    for (const node of [a!, b!]) assert.deepEqual((await node.rest().channels.get(ch).status()).status.occupancy.metrics, all);

    // kill -9: nobody tells the cluster; the survivors reap the victim, its member leaves and its counts go.
    await victim.kill();
    const survivors = {
      connections: 3,
      publishers: 3,
      subscribers: 3,
      presenceConnections: 3,
      presenceMembers: 2,
      presenceSubscribers: 3,
    };
    await events.until((items) => JSON.stringify(last(items)) === JSON.stringify(survivors));
    assert.deepEqual((await b!.rest().channels.get(ch).status()).status.occupancy.metrics, survivors);

    // A graceful stop clears the node's attachment counts at once (its members keep their grace period).
    await b!.server.close();
    await events.until((items) => last(items)?.connections === 1);
  });

  it('after Redis restarts empty, every node writes its counts back', async (t) => {
    const [a, b] = await startNodes(t, redis.url, redis.prefix(t), 2, { occupancyEventInterval: 25 });
    const ch = 'room-occupancy-outage';
    const watched = clientFor(t, a!.port).channels.get(ch, { params: { occupancy: 'metrics' } });
    const seen = new Collector<ChannelMetrics>();
    watched.subscribe('[meta]occupancy', (m: Ably.InboundMessage) => seen.push((m.data as { metrics: ChannelMetrics }).metrics));
    await watched.attach();
    await Promise.all(
      [0, 1].map((i) =>
        clientFor(t, b!.port, { clientId: `m${i}` })
          .channels.get(ch)
          .presence.enter(),
      ),
    );
    await seen.until((items) => last(items)?.connections === 3 && last(items)?.presenceMembers === 2);
    const metrics = async () => (await a!.rest().channels.get(ch).status()).status.occupancy.metrics;

    const events = (n: typeof a, name: string) =>
      new Promise<void>((resolve) => n!.server.node.events.once(name, () => resolve()));
    const down = Promise.all([a, b].map((n) => events(n, 'cluster-link')));
    await redis.stop();
    await down;
    const reasserted = events(b, 'cluster-reasserted');
    await redis.start();
    await reasserted;
    assert.deepEqual(await metrics(), {
      connections: 3,
      publishers: 3,
      subscribers: 3,
      presenceConnections: 3,
      presenceMembers: 2,
      presenceSubscribers: 3,
    });
  });

  it('GET /channels on any node lists the channels attached on every node', async (t) => {
    const [a, b] = await startNodes(t, redis.url, redis.prefix(t), 2, { occupancyEventInterval: 25 });
    // The watcher on a sees b's counts for `probe` only after b wrote them; b attaches `elsewhere` first, and its
    // writes are passes in order, so by then `elsewhere` is in Redis too.
    const probe = clientFor(t, a!.port).channels.get('probe', { params: { occupancy: 'metrics' } });
    const seen = new Collector<ChannelMetrics>();
    probe.subscribe('[meta]occupancy', (m: Ably.InboundMessage) => seen.push((m.data as { metrics: ChannelMetrics }).metrics));
    await probe.attach();
    const remote = clientFor(t, b!.port, { useBinaryProtocol: true });
    await remote.channels.get('elsewhere').attach();
    await remote.channels.get('probe').attach();
    await seen.until((items) => last(items)?.connections === 2);

    const listed = await a!.rest().request('get', '/channels', 6, { by: 'id' });
    assert.deepEqual(listed.items, ['elsewhere', 'probe']);
    const details = await a!.rest().request('get', '/channels', 6, { prefix: 'else' });
    assert.equal(
      (details.items[0] as { status: { occupancy: { metrics: ChannelMetrics } } }).status.occupancy.metrics.connections,
      1,
    );

    // Once b detaches, its count there is removed and the channel is no longer listed by a.
    await remote.channels.get('elsewhere').detach();
    await remote.channels.get('probe').detach();
    await seen.until((items) => last(items)?.connections === 1);
    assert.deepEqual((await a!.rest().request('get', '/channels', 6, { by: 'id' })).items, ['probe']);
  });
});
