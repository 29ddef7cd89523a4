import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { AnnotationStore } from '../../messages/annotation-store.ts';
import { applyAnnotation, type SummaryState, summarise } from '../../messages/summary.ts';
import { type Annotation, AnnotationAction } from '../../protocol/index.ts';

/** `store` and `peer` act as two nodes on one backend. */
export interface AnnotationStoreHarness {
  store: AnnotationStore;
  peer: AnnotationStore;
}

export interface AnnotationStoreContractOptions {
  name: string;
  create(t: TestContext): Promise<AnnotationStoreHarness>;
  skipAll?: string | false;
}

const CH = 'app:room';
const MSG = 'e-000000000001:000';
const serialOf = (seq: number) => `e-${String(seq).padStart(12, '0')}:000`;
const vote = (seq: number, clientId: string, name = 'yes'): Annotation => ({
  action: AnnotationAction.CREATE,
  serial: serialOf(seq),
  messageSerial: MSG,
  type: 'vote:multiple.v1',
  name,
  clientId,
});
/** Lists `a` (as the broker's publish step does) and folds the message's summary through `via`. */
const annotate = async (store: AnnotationStore, a: Annotation, via: AnnotationStore = store) => {
  await store.add(CH, a);
  return via.annotate(CH, MSG, applyAnnotation);
};

/** The AnnotationStore contract (STYLE habit 2). */
export function runAnnotationStoreContract(o: AnnotationStoreContractOptions): void {
  describe(`AnnotationStore contract: ${o.name}`, { skip: o.skipAll ?? false }, () => {
    it('knows nothing of messages never annotated', async (t) => {
      const { store } = await o.create(t);
      assert.equal((await store.summaries(CH, [MSG])).size, 0);
      assert.deepEqual(await store.list(CH, MSG, 10), { items: [], next: undefined });
    });

    it('folds each listed annotation into the summary once, counts versions, and lists annotations in serial order by pages', async (t) => {
      const { store } = await o.create(t);
      // Listed out of serial order before the fold: the fold and the listing are still in serial order.
      for (const seq of [2, 4, 3]) await store.add(CH, vote(seq, `c${seq}`));
      const results = [await store.annotate(CH, MSG, applyAnnotation)];
      for (const seq of [5, 6]) results.push(await annotate(store, vote(seq, `c${seq}`, seq === 6 ? 'no' : 'yes')));
      assert.deepEqual(
        results.map((r) => r.version),
        [4, 5, 6],
        'each above the last, and at least the seq of the last annotation folded',
      );
      const last = results.at(-1)?.state as SummaryState;
      assert.deepEqual(summarise(last, 100), {
        'vote:multiple.v1': {
          yes: { total: 4, clientIds: { c2: 1, c3: 1, c4: 1, c5: 1 }, totalUnidentified: 0, clipped: false, totalClientIds: 4 },
          no: { total: 1, clientIds: { c6: 1 }, totalUnidentified: 0, clipped: false, totalClientIds: 1 },
        },
      });
      assert.deepEqual((await store.summaries(CH, [MSG, 'other'])).get(MSG), last);
      const first = await store.list(CH, MSG, 2);
      assert.deepEqual(
        first.items.map((a) => a.serial),
        [serialOf(2), serialOf(3)],
      );
      assert.equal(first.items[0]?.clientId, 'c2');
      const second = await store.list(CH, MSG, 2, first.next);
      const third = await store.list(CH, MSG, 2, second.next);
      assert.deepEqual(
        [...second.items, ...third.items].map((a) => a.serial),
        [serialOf(4), serialOf(5), serialOf(6)],
      );
      assert.equal(third.next, undefined);
    });

    it('a fold with nothing newly listed changes nothing', async (t) => {
      const { store, peer } = await o.create(t);
      const done = await annotate(store, vote(2, 'a'));
      const again = await peer.annotate(CH, MSG, applyAnnotation);
      assert.deepEqual(again, { version: done.version }, 'no state: no summary to send');
      assert.equal(
        (
          summarise((await store.summaries(CH, [MSG])).get(MSG) as SummaryState, 10) as Record<
            string,
            Record<string, { total: number }>
          >
        )['vote:multiple.v1']?.yes?.total,
        1,
      );
    });

    it('a fold takes in every annotation listed since the last, in serial order, whichever node listed them', async (t) => {
      const { store, peer } = await o.create(t);
      const pick = (seq: number, name: string): Annotation => ({ ...vote(seq, 'c', name), type: 'pick:unique.v1' });
      // A node lists an annotation and dies before folding it; another lists a later one and folds both.
      await store.add(CH, pick(2, 'x'));
      const r = await annotate(peer, pick(3, 'y'));
      assert.equal(r.version, 3);
      assert.deepEqual(summarise(r.state as SummaryState, 10), {
        'pick:unique.v1': { y: { total: 1, clientIds: ['c'], clipped: false } },
      });
      assert.equal((await store.list(CH, MSG, 10)).items.length, 2);
    });

    it('an annotation of a type no method summarises is listed and leaves the summary as it was', async (t) => {
      const { store } = await o.create(t);
      await annotate(store, vote(2, 'a'));
      const comment: Annotation = { ...vote(3, 'b'), type: 'comment' };
      const r = await annotate(store, comment);
      assert.equal(r.state, undefined);
      assert.equal(r.version, 3);
      assert.deepEqual(Object.keys((await store.summaries(CH, [MSG])).get(MSG) ?? {}), ['vote:multiple.v1']);
      assert.equal((await store.list(CH, MSG, 10)).items.length, 2);
    });

    it('a message first recorded begins at the seq of its serial, so versions rise past any sent before a store forgot it', async (t) => {
      const { store } = await o.create(t);
      assert.equal((await annotate(store, vote(40, 'a'))).version, 40);
      assert.equal((await annotate(store, vote(41, 'b'))).version, 41);
    });

    it('concurrent folds through two nodes fold each annotation in exactly once', async (t) => {
      const { store, peer } = await o.create(t);
      const n = 20;
      const folds = [];
      for (let i = 0; i < n; i++) {
        // Listed in serial order (as the broker does); folds run concurrently with later listings.
        await store.add(CH, vote(2 + 2 * i, `a${i}`));
        await peer.add(CH, vote(3 + 2 * i, `b${i}`));
        folds.push(store.annotate(CH, MSG, applyAnnotation), peer.annotate(CH, MSG, applyAnnotation));
      }
      const results = await Promise.all(folds);
      const versions = results.filter((r) => r.state).map((r) => r.version);
      assert.equal(new Set(versions).size, versions.length, 'every fold that changed the summary got a version of its own');
      const state = (await store.summaries(CH, [MSG])).get(MSG) as SummaryState;
      const summary = summarise(state, 1000) as Record<string, Record<string, { total: number }>>;
      assert.equal(summary['vote:multiple.v1']?.yes?.total, 2 * n);
      assert.equal((await peer.list(CH, MSG, 1000)).items.length, 2 * n);
    });
  });
}
