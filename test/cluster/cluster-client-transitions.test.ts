import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { after, describe, it } from 'node:test';
import * as Ably from 'ably';
import type { ClientTransitionPayload } from '../../src/integrations/client-transition.ts';
import type { WebhookItem } from '../../src/integrations/webhook-item.ts';
import { closeRedisClients, connectRedisClients, createRedisClients } from '../../src/store/redis/redis-client.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { Collector, TEST_KEY } from '../helpers/server.ts';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { clientFor, spawnNode, startNodes } from './cluster-helpers.ts';

const skip = redisSkip();
const redis = (skip ? undefined : await startRedis({ after })) as TestRedis;

const AGENT_KEY = 'testapp.agent:agent-secret';
const KEYS = [{ key: TEST_KEY }, { key: AGENT_KEY, capability: { '[meta]clients': ['subscribe'] } }];

const webhookSettings = (receiver: WebhookReceiver) => ({
  keys: KEYS,
  webhooks: [{ url: receiver.url, sources: ['client.presence'] }],
  webhookBatchWindow: 30,
  webhookBackoffBase: 20,
  webhookBackoffMax: 100,
  webhookRequestTimeout: 500,
  webhookLeaseTtl: 1_000,
});

interface Seen {
  name: string;
  data: ClientTransitionPayload;
}

/** An agent on `[meta]clients` of one node. */
async function agentOn(t: TestContext, port: number): Promise<Collector<Seen>> {
  const seen = new Collector<Seen>();
  const agent = clientFor(t, port, { key: AGENT_KEY });
  await agent.channels.get('[meta]clients').subscribe((m: Ably.Message) => seen.push({ name: m.name as string, data: m.data }));
  return seen;
}

const by = (items: Seen[], clientId: string) => items.filter((i) => i.data.clientId === clientId).map((i) => i.name);

/** Webhook items of a clientId, each item once (receivers dedupe by id: delivery is at least once). */
function hooked(receiver: WebhookReceiver, clientId: string): WebhookItem[] {
  const unique = new Map(receiver.items.items.map((i) => [i.id, i]));
  return [...unique.values()].filter((i) => (i.data as unknown as ClientTransitionPayload).clientId === clientId);
}

describe('client transitions in a cluster on Redis', { skip }, () => {
  it('devices of one clientId on three nodes, entering and leaving concurrently: one online, one offline', async (t) => {
    const receiver = await startReceiver(t);
    const nodes = await startNodes(t, redis.url, redis.prefix(t), 3, webhookSettings(receiver) as never);
    const seen = await agentOn(t, nodes[2]!.port);
    const devices = Array.from({ length: 9 }, (_, i) =>
      clientFor(t, nodes[i % 3]!.port, { clientId: 'user-123' }).channels.get('session-42'),
    );
    await Promise.all(devices.map((d, i) => d.presence.enter({ device: i })));
    await Promise.all(devices.slice(1).map((d) => d.presence.leave()));
    await devices[0]!.presence.leave({ reason: 'session-completed' });
    await seen.until((items) => by(items, 'user-123').length >= 2);
    // A sentinel on the same channel: transitions of one channel are published in order.
    await clientFor(t, nodes[1]!.port, { clientId: 'sentinel' }).channels.get('session-42').presence.enter();
    await seen.until((items) => by(items, 'sentinel').length === 1);
    await receiver.items.until(() => hooked(receiver, 'sentinel').length === 1);

    assert.deepEqual(by(seen.items, 'user-123'), ['client.online', 'client.offline']);
    const offline = seen.items.find((i) => i.name === 'client.offline');
    assert.equal(offline?.data.reason, 'leave');
    assert.deepEqual(offline?.data.data, { reason: 'session-completed' });
    assert.deepEqual(
      hooked(receiver, 'user-123').map((i) => i.name),
      ['client.online', 'client.offline'],
    );
  });

  it('kill -9 of the node holding the last device: exactly one client.offline (node-down), by metachannel and webhook', async (t) => {
    const receiver = await startReceiver(t);
    const settings = {
      redisPrefix: redis.prefix(t),
      nodeHeartbeatInterval: 100,
      nodeDownTimeout: 600,
      memberTtl: 10_000,
      ...webhookSettings(receiver),
    };
    const [victim, ...survivors] = await Promise.all([0, 1, 2].map(() => spawnNode(t, redis.url, settings)));
    const seen = await agentOn(t, survivors[1]!.port);
    const desktop = clientFor(t, survivors[0]!.port, { clientId: 'user-123' }).channels.get('session-42');
    // A dead node's members keep their own grace (1 s here): client.offline comes when it ends.
    const mobile = clientFor(t, victim!.port, {
      clientId: 'user-123',
      transportParams: { remainPresentFor: 1_000 },
    }).channels.get('session-42');
    await desktop.presence.enter({ device: 'desktop' });
    await mobile.presence.enter({ device: 'mobile' });
    await desktop.presence.leave();
    await seen.until((items) => by(items, 'user-123').length === 1);

    await victim!.kill();
    await seen.until((items) => by(items, 'user-123').length >= 2);
    await clientFor(t, survivors[0]!.port, { clientId: 'sentinel' }).channels.get('session-42').presence.enter();
    await seen.until((items) => by(items, 'sentinel').length === 1);
    await receiver.items.until(() => hooked(receiver, 'sentinel').length === 1);

    assert.deepEqual(by(seen.items, 'user-123'), ['client.online', 'client.offline']);
    const offline = seen.items.find((i) => i.name === 'client.offline')?.data;
    assert.equal(offline?.reason, 'node-down');
    assert.equal(offline?.devices, 0);
    assert.deepEqual(offline?.data, { device: 'mobile' });
    assert.deepEqual(
      hooked(receiver, 'user-123').map((i) => i.name),
      ['client.online', 'client.offline'],
    );
  });

  it('webhook queue in Redis: the delivering node dies (kill -9), the other node delivers every item, in order', async (t) => {
    const receiver = await startReceiver(t);
    receiver.status = 503;
    const prefix = redis.prefix(t);
    const settings = {
      redisPrefix: prefix,
      nodeHeartbeatInterval: 100,
      nodeDownTimeout: 600,
      memberTtl: 10_000,
      ...webhookSettings(receiver),
      webhooks: [{ url: receiver.url, sources: ['channel.message'] }],
    };
    const nodes = await Promise.all(['node-a', 'node-b'].map((serverId) => spawnNode(t, redis.url, { ...settings, serverId })));
    const rest = new Ably.Rest({ key: TEST_KEY, endpoint: 'localhost', port: nodes[0]!.port, tls: false, logLevel: 0 });
    for (let i = 0; i < 20; i++) await rest.channels.get('room').publish('n', String(i));
    // Both nodes try; only the lease holder sends (and gets 503s).
    await receiver.refused.count(2);
    const redisClients = createRedisClients(redis.url);
    await connectRedisClients(redisClients);
    t.after(() => closeRedisClients(redisClients));
    const [leaseKey] = await redisClients.command.keys(`${prefix}whl:*`);
    const holder = await redisClients.command.get(leaseKey as string);
    const [queueKey] = await redisClients.command.keys(`${prefix}whq:*`);
    assert.equal(await redisClients.command.llen(queueKey as string), 20, 'every item waits in Redis');
    const victim = holder === 'node-a' ? nodes[0] : nodes[1];
    await victim!.kill();
    receiver.status = 200;
    await receiver.items.until(() => new Set(receiver.items.items.map((i) => i.id)).size >= 20);
    const unique = [...new Map(receiver.items.items.map((i) => [i.id, i])).values()];
    assert.deepEqual(
      unique.map((i) => Number((i.data.messages as Array<{ data: string }>)[0]?.data)),
      Array.from({ length: 20 }, (_, i) => i),
    );
    // One more item, sent only after the 20 were trimmed: nothing was delivered twice meanwhile.
    const survivor = holder === 'node-a' ? nodes[1] : nodes[0];
    const late = new Ably.Rest({ key: TEST_KEY, endpoint: 'localhost', port: survivor!.port, tls: false, logLevel: 0 });
    await late.channels.get('room').publish('n', '20');
    await receiver.items.count(21);
    assert.equal(
      new Set(receiver.items.items.map((i) => i.id)).size,
      21,
      'each item delivered once (the dead node never got a 2xx)',
    );
    assert.equal((receiver.items.items[20]?.data.messages as Array<{ data: string }> | undefined)?.[0]?.data, '20');
  });

  it('Redis restarts empty: members written back rebuild the device sets without a second client.online', async (t) => {
    const nodes = await startNodes(t, redis.url, redis.prefix(t), 3, { keys: KEYS } as never);
    const seen = await agentOn(t, nodes[0]!.port);
    const clients = Array.from({ length: 6 }, (_, i) => clientFor(t, nodes[i % 3]!.port, { clientId: `u${i}` }));
    await Promise.all(clients.map((c, i) => c.channels.get('room').presence.enter({ i })));
    await seen.count(6);
    const down = nodes.map((n) => once(n.server.node.events, 'cluster-link'));
    await redis.stop();
    await Promise.all(down);
    // Registered while the links are down (nothing is re-asserted then): these are the re-assertions after the restart.
    const reasserted = nodes.map((n) => once(n.server.node.events, 'cluster-reasserted'));
    await redis.start();
    await Promise.all(reasserted);
    // The sets are whole again: u0's last device leaving is its one offline.
    await clients[0]!.channels.get('room').presence.leave();
    await clientFor(t, nodes[1]!.port, { clientId: 'sentinel' }).channels.get('room').presence.enter();
    await seen.until((items) => by(items, 'sentinel').length === 1 && by(items, 'u0').length >= 2);
    for (let i = 1; i < 6; i++) assert.deepEqual(by(seen.items, `u${i}`), ['client.online'], `u${i}`);
    assert.deepEqual(by(seen.items, 'u0'), ['client.online', 'client.offline']);
  });
});
