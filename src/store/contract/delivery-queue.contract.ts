import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { DeliveryQueue } from '../../integrations/delivery-queue.ts';
import type { QueuedItem } from '../../integrations/webhook-item.ts';

/** `queue` and `peer` act as two nodes on one backend; `lapse` makes a webhook's lease run out (its TTL passing). */
export interface DeliveryQueueHarness {
  queue: DeliveryQueue;
  peer: DeliveryQueue;
  lapse(webhookId: string): Promise<void>;
}

export interface DeliveryQueueContractOptions {
  name: string;
  create(t: TestContext): Promise<DeliveryQueueHarness>;
  skipAll?: string | false;
}

const entry = (n: number, channelId = 'room'): QueuedItem => ({
  item: {
    webhookId: 'w',
    source: 'channel.message',
    id: `i-${n}`,
    timestamp: n,
    name: 'channel.message',
    data: { channelId, n },
  },
  queuedAt: 1000 + n,
});

/** The DeliveryQueue contract (STYLE habit 2). */
export function runDeliveryQueueContract(o: DeliveryQueueContractOptions): void {
  describe(`DeliveryQueue contract: ${o.name}`, { skip: o.skipAll ?? false }, () => {
    it('keeps entries in push order, whole, until the lease holder removes them', async (t) => {
      const { queue, peer } = await o.create(t);
      assert.equal(await queue.push('w', [entry(1), entry(2)], 100), 0);
      assert.equal(await peer.push('w', [entry(3)], 100), 0);
      assert.deepEqual(await queue.peek('w', 10), [entry(1), entry(2), entry(3)]);
      assert.deepEqual(await queue.peek('w', 2), [entry(1), entry(2)]);
      assert.equal(await queue.size('w'), 3);
      assert.equal(await queue.remove('w', 2, 'node-a'), false, 'no lease: nothing removed');
      assert.equal(await queue.claim('w', 'node-a', 60_000), true);
      assert.equal(await queue.remove('w', 2, 'node-a'), true);
      assert.deepEqual(await peer.peek('w', 10), [entry(3)]);
      assert.deepEqual(await queue.peek('other', 10), [], 'webhooks have separate queues');
    });

    it('refuses the newest entries beyond the limit and says how many', async (t) => {
      const { queue } = await o.create(t);
      assert.equal(await queue.push('w', [entry(1), entry(2), entry(3)], 4), 0);
      assert.equal(await queue.push('w', [entry(4), entry(5), entry(6)], 4), 2);
      assert.deepEqual(
        (await queue.peek('w', 10)).map((e) => e.item.id),
        ['i-1', 'i-2', 'i-3', 'i-4'],
      );
    });

    it('one lease holder at a time; it renews; another takes over once released or lapsed', async (t) => {
      const { queue, peer, lapse } = await o.create(t);
      await queue.push('w', [entry(1), entry(2)], 100);
      assert.equal(await queue.claim('w', 'node-a', 60_000), true);
      assert.equal(await peer.claim('w', 'node-b', 60_000), false);
      assert.equal(await queue.claim('w', 'node-a', 60_000), true, 'the holder renews');
      assert.equal(await peer.remove('w', 1, 'node-b'), false, 'a non-holder cannot trim');
      await queue.release('w', 'node-a');
      assert.equal(await peer.claim('w', 'node-b', 60_000), true);
      assert.equal(await queue.claim('w', 'node-a', 60_000), false);
      await lapse('w');
      assert.equal(await queue.claim('w', 'node-a', 60_000), true, 'a lapsed lease can be taken');
      assert.equal(await peer.remove('w', 1, 'node-b'), false, 'the old holder lost its right to trim');
      assert.equal(await queue.remove('w', 1, 'node-a'), true);
      assert.deepEqual(
        (await peer.peek('w', 10)).map((e) => e.item.id),
        ['i-2'],
      );
    });
  });
}
