import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type AttachmentCounts, NO_ATTACHMENTS } from '../../occupancy/metrics.ts';
import type { OccupancyStore } from '../occupancy-store.ts';

export interface OccupancyStoreContractOptions {
  name: string;
  /** Two handles on one backend, as two nodes would hold. */
  create(t: TestContext): Promise<{ store: OccupancyStore; peer: OccupancyStore }>;
  skipAll?: string | false;
}

const CH = 'app:room';
const counts = (connections: number, extra = 0): AttachmentCounts => ({
  connections,
  publishers: connections,
  subscribers: connections + extra,
  presenceConnections: extra,
  presenceSubscribers: connections,
});

/** The OccupancyStore contract: every backend runs it. */
export function runOccupancyStoreContract(o: OccupancyStoreContractOptions): void {
  describe(`OccupancyStore contract: ${o.name}`, { skip: o.skipAll || false }, () => {
    it('sums every node but the asking one', async (t) => {
      const { store, peer } = await o.create(t);
      await store.write('a', [{ channel: CH, counts: counts(2) }]);
      await peer.write('b', [{ channel: CH, counts: counts(3, 1) }]);
      await peer.write('c', [{ channel: CH, counts: counts(1) }]);
      assert.deepEqual(await store.others(CH, 'a'), {
        connections: 4,
        publishers: 4,
        subscribers: 5,
        presenceConnections: 1,
        presenceSubscribers: 4,
      });
      assert.deepEqual(await peer.others(CH, 'b'), counts(3));
      assert.deepEqual(await store.others('app:elsewhere', 'a'), NO_ATTACHMENTS);
    });

    it('a write replaces the node’s counts and zero removes them', async (t) => {
      const { store, peer } = await o.create(t);
      await store.write('a', [
        { channel: CH, counts: counts(5) },
        { channel: 'app:other', counts: counts(1) },
      ]);
      await store.write('a', [{ channel: CH, counts: counts(2) }]);
      assert.deepEqual(await peer.others(CH, 'b'), counts(2));
      await store.write('a', [{ channel: CH, counts: NO_ATTACHMENTS }]);
      assert.deepEqual(await peer.others(CH, 'b'), NO_ATTACHMENTS);
      // Only the channel still counted is the node's when it is removed.
      assert.deepEqual(await peer.removeNode('a'), ['app:other']);
    });

    it('removing a node clears its counts everywhere and only its own', async (t) => {
      const { store, peer } = await o.create(t);
      await store.write('a', [
        { channel: CH, counts: counts(2) },
        { channel: 'app:other', counts: counts(1) },
      ]);
      await peer.write('b', [{ channel: CH, counts: counts(1) }]);
      assert.deepEqual((await peer.removeNode('a')).sort(), ['app:other', CH].sort());
      assert.deepEqual(await peer.others(CH, 'x'), counts(1));
      assert.deepEqual(await peer.others('app:other', 'x'), NO_ATTACHMENTS);
      assert.deepEqual(await peer.removeNode('a'), []);
    });

    it('lists every channel some node has counts on', async (t) => {
      const { store, peer } = await o.create(t);
      await store.write('a', [{ channel: CH, counts: counts(1) }]);
      await peer.write('b', [
        { channel: CH, counts: counts(2) },
        { channel: 'app:other', counts: counts(1) },
      ]);
      assert.deepEqual((await store.activeChannels()).sort(), ['app:other', CH].sort());
      await peer.write('b', [{ channel: 'app:other', counts: NO_ATTACHMENTS }]);
      assert.deepEqual(await store.activeChannels(), [CH]);
      await peer.removeNode('a');
      await peer.removeNode('b');
      assert.deepEqual(await store.activeChannels(), []);
    });
  });
}
