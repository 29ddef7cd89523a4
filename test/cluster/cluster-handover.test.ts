import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { connectionState } from '../helpers/server.ts';
import { clientFor, PresenceLog, startNodes, TcpProxy } from './cluster-helpers.ts';

const skip = redisSkip();
const redis = (skip ? undefined : await startRedis({ after })) as TestRedis;

describe('cluster on Redis: graceful node shutdown', { skip }, () => {
  it('hands presence over without a LEAVE when the client resumes on another node', async (t) => {
    const [a, b] = await startNodes(t, redis.url, redis.prefix(t), 2, { shutdownDrainTime: 1_000 });
    const proxy = new TcpProxy(a!.port);
    await proxy.listen(t);
    const channelName = 'room-handover';
    const observer = clientFor(t, b!.port, { clientId: 'observer' }).channels.get(channelName);
    const seen = new PresenceLog(observer);
    await observer.attach();

    const client = clientFor(t, proxy.port, { clientId: 'draining', transportParams: { remainPresentFor: 1000 } });
    await client.channels.get(channelName).presence.enter('kept');
    await seen.until((e) => e.some((m) => m.clientId === 'draining'));
    const connectionId = client.connection.id;

    // SIGTERM path: node A tells its clients to reconnect; the load balancer now sends them to B.
    proxy.route(b!.port);
    const disconnected = connectionState(client, 'disconnected');
    await a!.server.close();
    await disconnected;
    await connectionState(client, 'connected');
    assert.equal(client.connection.id, connectionId);
    assert.ok(b!.server.node.connections.has(connectionId!));

    // Past the grace period and a few cluster ticks (sweeps), the member is still there and never left.
    await new Promise<void>((resolve) => b!.server.node.clock.setTimeout(resolve, 1_500));
    await clientFor(t, b!.port, { clientId: 'marker' }).channels.get(channelName).presence.enter();
    await seen.until((e) => e.some((m) => m.clientId === 'marker'));
    assert.deepEqual(
      seen.events.filter((m) => m.clientId === 'draining').map((m) => m.action),
      ['enter'],
    );
    const members = await observer.presence.get();
    assert.deepEqual(members.map((m) => `${m.clientId}:${m.connectionId}`).sort(), [
      `draining:${connectionId}`,
      `marker:${members.find((m) => m.clientId === 'marker')?.connectionId}`,
    ]);
  });

  it('without a resume, the LEAVE comes from a surviving node once the grace period ends', async (t) => {
    const [a, b] = await startNodes(t, redis.url, redis.prefix(t), 2, { shutdownDrainTime: 1_000 });
    const channelName = 'room-handover-2';
    const observer = clientFor(t, b!.port, { clientId: 'observer' }).channels.get(channelName);
    const seen = new PresenceLog(observer);
    await observer.attach();
    // This client's reconnections go nowhere (node A is gone for good).
    const client = clientFor(t, a!.port, { clientId: 'gone', transportParams: { remainPresentFor: 1000 } });
    await client.channels.get(channelName).presence.enter('bye');
    await seen.until((e) => e.some((m) => m.clientId === 'gone'));
    await a!.server.close();
    await seen.until((e) => e.some((m) => m.clientId === 'gone' && m.action === 'leave'));
    const leave = seen.events.find((m) => m.action === 'leave');
    assert.equal(leave?.data, 'bye');
    assert.deepEqual(await observer.presence.get(), []);
  });
});
