import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { PublishDedupe } from '../publish-dedupe.ts';

export interface PublishDedupeContractOptions {
  name: string;
  /** Two handles on one backend, as two nodes would hold (memory: the same one twice). */
  create(t: TestContext): Promise<{ dedupe: PublishDedupe; peer: PublishDedupe }>;
  skipAll?: string | false;
}

/** A publish that counts its runs and answers like the realtime path (`{serials}`). */
function counted(): { runs: () => number; publish: () => Promise<{ serials: string[] }> } {
  let runs = 0;
  return {
    runs: () => runs,
    publish: async () => {
      runs++;
      return { serials: [`s-${runs}:0`, `s-${runs}:1`] };
    },
  };
}

/** The PublishDedupe contract: every backend runs it. Window expiry is each backend's own test (its clock differs). */
export function runPublishDedupeContract(o: PublishDedupeContractOptions): void {
  describe(`PublishDedupe contract: ${o.name}`, { skip: o.skipAll || false }, () => {
    it('a repeated key, on either handle, gets the first result without publishing again', async (t) => {
      const { dedupe, peer } = await o.create(t);
      const c = counted();
      const first = await dedupe.once('app:ch\nid:0', c.publish);
      assert.deepEqual(first, { serials: ['s-1:0', 's-1:1'] });
      assert.deepEqual(await dedupe.once('app:ch\nid:0', c.publish), first);
      assert.deepEqual(await peer.once('app:ch\nid:0', c.publish), first);
      assert.deepEqual(await peer.once('app:ch\nid:1', c.publish), { serials: ['s-2:0', 's-2:1'] });
      assert.equal(c.runs(), 2);
    });

    it('concurrent duplicates on both handles publish once and all get that result', async (t) => {
      const { dedupe, peer } = await o.create(t);
      let runs = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const publish = async () => {
        runs++;
        started();
        await gate;
        return { serials: [`only-${runs}`] };
      };
      const a = dedupe.once('k', publish);
      const b = dedupe.once('k', publish);
      const c = peer.once('k', publish);
      // Whichever handle won runs the publish; the others wait for it (or find its result) until it is released.
      await running;
      release();
      assert.deepEqual(await Promise.all([a, b, c]), [{ serials: ['only-1'] }, { serials: ['only-1'] }, { serials: ['only-1'] }]);
      assert.equal(runs, 1);
    });

    it('a failed publish is forgotten, on both handles, so the retry runs', async (t) => {
      const { dedupe, peer } = await o.create(t);
      await assert.rejects(
        dedupe.once('k', async () => Promise.reject(new Error('broker down'))),
        /broker down/,
      );
      assert.deepEqual(await peer.once('k', async () => ({ serials: ['retried'] })), { serials: ['retried'] });
      assert.deepEqual(await dedupe.once('k', async () => ({ serials: ['again'] })), { serials: ['retried'] });
    });
  });
}
