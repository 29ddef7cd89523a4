import assert from 'node:assert/strict';
import { type EventEmitter, once } from 'node:events';
import { describe, test } from 'node:test';
import type { ClientTransitionPayload } from '../../src/integrations/client-transition.ts';
import type { WebhookItem } from '../../src/integrations/webhook-item.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { scrape } from '../helpers/metrics.ts';
import { PROTOCOLS, startServer } from '../helpers/server.ts';
import { startReceiver, verifyAblySignature } from '../helpers/webhook-receiver.ts';

const SECRETS = { 'testapp.key1': 'secret-one' };
const clientItems = (items: WebhookItem[], clientId: string) =>
  items.filter((i) => i.source === 'client.presence' && (i.data as unknown as ClientTransitionPayload).clientId === clientId);

for (const protocol of PROTOCOLS) {
  describe(`webhooks (${protocol})`, () => {
    test("the seed's story by webhook: presence items and exactly one client.online and client.offline, signed", async (t) => {
      const receiver = await startReceiver(t);
      const s = await startServer(t, {
        webhooks: [
          {
            url: receiver.url,
            sources: ['channel.presence', 'client.presence'],
            channelFilter: '^session-',
            signWithKey: 'testapp.key1',
            headers: { 'x-team': 'agents' },
          },
        ],
        webhookBatchWindow: 50,
      });
      const desktop = s.realtime({ protocol, clientId: 'user-123' });
      const mobile = s.realtime({ protocol, clientId: 'user-123' });
      await desktop.channels.get('session-42').presence.enter({ device: 'desktop' });
      await mobile.channels.get('session-42').presence.enter({ device: 'mobile' });
      await mobile.channels.get('session-42').presence.leave();
      await desktop.channels.get('session-42').presence.leave({ reason: 'session-completed' });
      // Outside the filter: never delivered.
      await desktop.channels.get('lobby').presence.enter();
      // The sentinel's online is queued after everything above (one queue per webhook, in order).
      const sentinel = s.realtime({ protocol, clientId: 'sentinel' });
      await sentinel.channels.get('session-42').presence.enter();
      await receiver.items.until((items) => clientItems(items, 'sentinel').length === 1);

      const items = receiver.items.items;
      const transitions = clientItems(items, 'user-123');
      assert.deepEqual(
        transitions.map((i) => i.name),
        ['client.online', 'client.offline'],
      );
      const offline = transitions[1]?.data as unknown as ClientTransitionPayload;
      assert.equal(offline.reason, 'leave');
      assert.equal(offline.devices, 0);
      assert.equal(offline.channel, 'session-42');
      assert.deepEqual(offline.data, { reason: 'session-completed' });
      assert.equal(offline.connectionId, desktop.connection.id);

      const presence = items.filter((i) => i.source === 'channel.presence');
      assert.ok(presence.every((i) => i.name === 'presence.message' && i.data.channelId === 'session-42' && i.serial));
      const actions = presence.flatMap((i) =>
        (i.data.presence as Array<{ action: number; clientId: string }>).map((p) => p.action),
      );
      assert.deepEqual(actions, [2, 2, 3, 3, 2], 'enter, enter, leave, leave, sentinel enter');
      assert.ok(items.every((i) => i.webhookId === items[0]?.webhookId && typeof i.id === 'string'));
      assert.equal(new Set(items.map((i) => i.id)).size, items.length, 'item ids are unique');

      for (const request of receiver.requests.items) {
        assert.equal(request.headers['content-type'], 'application/json');
        assert.equal(request.headers['x-ably-version'], '1.2');
        assert.equal(request.headers['x-team'], 'agents');
        assert.equal(request.headers['x-ably-key'], 'testapp.key1');
        assert.ok(verifyAblySignature(request, SECRETS), 'signature verifies');
        const tampered = { ...request, raw: Buffer.concat([request.raw, Buffer.from(' ')]) };
        assert.equal(verifyAblySignature(tampered, SECRETS), false, 'a changed body does not verify');
      }
    });
  });
}

describe('webhook delivery', () => {
  test('items wait for the batch window and go up to webhookBatchMaxItems per request (clock driven by hand)', async (t) => {
    const clock = new ManualClock();
    const receiver = await startReceiver(t);
    const s = await startServer(t, {
      clock,
      webhooks: [{ url: receiver.url, sources: ['channel.message'] }],
      webhookBatchWindow: 1000,
      webhookBatchMaxItems: 3,
    });
    const rest = s.rest();
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await rest.channels.get('room').publish('n', String(i));
      await s.server.integrations.idle();
    };
    await publish(0, 2);
    const [deliverer] = s.server.integrations.deliverers;
    /** Moves the clock and waits for the deliverer's pass that it triggers. */
    const step = async (ms: number) => {
      const passed = once(deliverer?.events as EventEmitter, 'pass');
      clock.advance(ms);
      return (await passed)[0] as number;
    };
    assert.equal(await step(0), 1000, 'two items just queued: wait the whole window');
    clock.advance(999);
    assert.equal(receiver.requests.items.length, 0, 'nothing sent before the window ends');
    assert.equal(await step(1), 0, 'sent at the end of the window');
    await publish(2, 7);
    assert.equal(await step(0), 0, 'a full batch goes at once');
    assert.equal(await step(0), 1000, 'the rest waits for its window');
    assert.equal(await step(1000), 0);
    await receiver.items.count(7);
    assert.deepEqual(
      receiver.requests.items.map((r) => (r.body as { items: unknown[] }).items.length),
      [2, 3, 2],
    );
    const data = receiver.items.items.map((i) => Number((i.data.messages as Array<{ data: string }>)[0]?.data));
    assert.deepEqual(data, [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(receiver.items.items.every((i) => i.source === 'channel.message' && i.name === 'channel.message'));
  });

  test('a receiver that is down, then refuses, then is up gets every item once, in order per channel', async (t) => {
    const receiver = await startReceiver(t);
    const logs: string[] = [];
    const s = await startServer(t, {
      webhooks: [{ url: receiver.url, sources: ['channel.message'], batched: true }],
      webhookBatchWindow: 20,
      webhookBatchMaxItems: 7,
      webhookBackoffBase: 10,
      webhookBackoffMax: 80,
      log: (m) => logs.push(m),
    });
    await receiver.down();
    const rest = s.rest();
    const channels = ['alpha', 'beta'];
    const published = Promise.all(
      channels.map(async (name) => {
        for (let i = 0; i < 20; i++) await rest.channels.get(name).publish('n', String(i));
      }),
    );
    const [deliverer] = s.server.integrations.deliverers;
    // Connection refused several times over (backoff doubling up to its cap), then 503s, then success.
    await new Promise<void>((resolve) => {
      const check = () => {
        if ((deliverer?.stats.failures ?? 0) < 5) return;
        deliverer?.events.off('pass', check);
        resolve();
      };
      deliverer?.events.on('pass', check);
    });
    receiver.status = 503;
    await receiver.up();
    await receiver.refused.count(2);
    receiver.status = 200;
    await published;
    await receiver.items.count(40);
    for (const name of channels) {
      const data = receiver.items.items
        .filter((i) => i.data.channelId === name)
        .map((i) => Number((i.data.messages as Array<{ data: string }>)[0]?.data));
      assert.deepEqual(
        data,
        Array.from({ length: 20 }, (_, i) => i),
        `${name} in order, none missing or twice`,
      );
    }
    assert.ok(logs.some((l) => /request failed: .*ECONNREFUSED.*retrying in/.test(l)));
    assert.ok(logs.some((l) => /answered 503; retrying in/.test(l)));
  });

  test('beyond webhookQueueLimit new items are dropped, counted and logged; the queued ones still arrive', async (t) => {
    const receiver = await startReceiver(t);
    receiver.status = 500;
    const logs: string[] = [];
    const s = await startServer(t, {
      webhooks: [{ url: receiver.url, sources: ['channel.message'] }],
      webhookBatchWindow: 10,
      webhookBackoffBase: 10,
      webhookBackoffMax: 20,
      webhookQueueLimit: 5,
      log: (m) => logs.push(m),
    });
    const rest = s.rest();
    for (let i = 0; i < 8; i++) await rest.channels.get('room').publish('n', String(i));
    await s.server.integrations.idle();
    const [target] = s.server.integrations.dispatcher.targets;
    assert.equal(s.server.integrations.dispatcher.dropped.get(target?.id as string), 3);
    assert.ok(logs.some((l) => l.includes('queue full (limit 5); dropped')));
    const webhook = { webhook: target?.id as string };
    const [deliverer] = s.server.integrations.deliverers;
    const passUntil = async (done: () => boolean) => {
      while (!done()) await once(deliverer?.events as EventEmitter, 'pass');
    };
    await passUntil(() => (deliverer?.stats.failures ?? 0) >= 1);
    const before = await scrape(s.port);
    assert.equal(before.get('rollcall_webhook_items_dropped_total', webhook), 3);
    assert.equal(before.get('rollcall_webhook_queue_depth', webhook), 5);
    assert.ok(before.get('rollcall_webhook_failed_requests_total', webhook) >= 1, 'the 500s are counted');
    receiver.status = 200;
    await receiver.items.count(5);
    assert.deepEqual(
      receiver.items.items.map((i) => Number((i.data.messages as Array<{ data: string }>)[0]?.data)),
      [0, 1, 2, 3, 4],
    );
    await passUntil(() => (deliverer?.stats.delivered ?? 0) >= 5);
    const after = await scrape(s.port);
    assert.equal(after.get('rollcall_webhook_items_delivered_total', webhook), 5);
    assert.equal(after.get('rollcall_webhook_queue_depth', webhook), 0);
  });

  test('channel.lifecycle and channel.occupancy: opened, occupancy as members come, closed on the last detach', async (t) => {
    const receiver = await startReceiver(t);
    const s = await startServer(t, {
      webhooks: [{ url: receiver.url, sources: ['channel.lifecycle', 'channel.occupancy'] }],
      webhookBatchWindow: 20,
    });
    const client = s.realtime({ clientId: 'user-1' });
    const channel = client.channels.get('room');
    await channel.presence.enter();
    type Details = { channelId: string; status: { isActive: boolean; occupancy: { metrics: Record<string, number> } } };
    const details = (i: WebhookItem) => i.data as unknown as Details;
    await receiver.items.until((items) =>
      items.some((i) => i.source === 'channel.occupancy' && details(i).status.occupancy.metrics.presenceMembers === 1),
    );
    await channel.detach();
    await receiver.items.until((items) => items.some((i) => i.name === 'channel.closed'));
    const lifecycle = receiver.items.items.filter((i) => i.source === 'channel.lifecycle');
    assert.deepEqual(
      lifecycle.map((i) => [i.name, details(i).channelId, details(i).status.isActive]),
      [
        ['channel.opened', 'room', true],
        ['channel.closed', 'room', false],
      ],
    );
    const opened = details(lifecycle[0] as WebhookItem).status.occupancy.metrics;
    assert.equal(opened.connections, 1);
    assert.equal(opened.subscribers, 1);
    const closed = details(lifecycle[1] as WebhookItem).status.occupancy.metrics;
    assert.equal(closed.connections, 0);
  });

  test('batched: false sends one enveloped item per request; enveloped: false sends its data with X-Ably-Envelope-* headers', async (t) => {
    const single = await startReceiver(t);
    const bare = await startReceiver(t);
    const s = await startServer(t, {
      webhooks: [
        { url: single.url, sources: ['channel.message'], batched: false },
        { url: bare.url, sources: ['channel.message'], enveloped: false },
      ],
      webhookBatchWindow: 20,
    });
    const rest = s.rest();
    for (let i = 0; i < 3; i++) await rest.channels.get('room').publish('n', String(i));
    await single.requests.count(3);
    await bare.requests.count(3);
    const bodies = single.requests.items.map((r) => r.body as WebhookItem);
    assert.deepEqual(
      bodies.map((b) => [b.source, b.name, (b.data.messages as Array<{ data: string }>)[0]?.data]),
      [
        ['channel.message', 'channel.message', '0'],
        ['channel.message', 'channel.message', '1'],
        ['channel.message', 'channel.message', '2'],
      ],
    );
    const [first] = bare.requests.items;
    assert.equal((first?.body as { channelId?: string } | undefined)?.channelId, 'room');
    assert.equal(first?.headers['x-ably-envelope-source'], 'channel.message');
    assert.equal(first?.headers['x-ably-envelope-channel'], 'room');
    assert.equal(first?.headers['x-ably-envelope-name'], 'channel.message');
    assert.ok(first?.headers['x-ably-envelope-id']);
  });
});
