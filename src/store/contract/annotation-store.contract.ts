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
const fold = (a: Annotation) => (state: SummaryState | undefined) => applyAnnotation(state, a);

/** The AnnotationStore contract (STYLE habit 2). */
export function runAnnotationStoreContract(o: AnnotationStoreContractOptions): void {
  describe(`AnnotationStore contract: ${o.name}`, { skip: o.skipAll ?? false }, () => {
    it('knows nothing of messages never annotated', async (t) => {
      const { store } = await o.create(t);
      assert.equal((await store.summaries(CH, [MSG])).size, 0);
      assert.deepEqual(await store.list(CH, MSG, 10), { items: [], next: undefined });
    });

    it('folds each annotation into the summary, counts versions, and lists annotations in serial order by pages', async (t) => {
      const { store } = await o.create(t);
      const results = [];
      // Recorded out of serial order: the listing is still in serial order.
      for (const seq of [2, 4, 3, 5, 6]) {
        const a = vote(seq, `c${seq}`, seq === 6 ? 'no' : 'yes');
        results.push(await store.annotate(CH, MSG, a, fold(a)));
      }
      assert.deepEqual(
        results.map((r) => r.version),
        [2, 4, 5, 6, 7],
        'each above the last, and at least the seq of its serial',
      );
      const last = results.at(-1)?.state as SummaryState;
      assert.deepEqual(summarise(last, 100), {
        'vote:multiple.v1': {
          yes: { total: 4, clientIds: { c2: 1, c4: 1, c3: 1, c5: 1 }, totalUnidentified: 0, clipped: false, totalClientIds: 4 },
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

    it('an annotation of a type no method summarises is listed and leaves the summary as it was', async (t) => {
      const { store } = await o.create(t);
      const a = vote(2, 'a');
      await store.annotate(CH, MSG, a, fold(a));
      const comment: Annotation = { ...vote(3, 'b'), type: 'comment' };
      const r = await store.annotate(CH, MSG, comment, fold(comment));
      assert.equal(r.state, undefined);
      assert.equal(r.version, 3);
      assert.deepEqual(Object.keys((await store.summaries(CH, [MSG])).get(MSG) ?? {}), ['vote:multiple.v1']);
      assert.equal((await store.list(CH, MSG, 10)).items.length, 2);
    });

    it('a message first recorded begins at the seq of its serial, so versions rise past any sent before a store forgot it', async (t) => {
      const { store } = await o.create(t);
      const a = vote(40, 'a');
      assert.equal((await store.annotate(CH, MSG, a, fold(a))).version, 40);
      const b = vote(41, 'b');
      assert.equal((await store.annotate(CH, MSG, b, fold(b))).version, 41);
    });

    it('concurrent annotations through two nodes are each folded in exactly once', async (t) => {
      const { store, peer } = await o.create(t);
      const n = 20;
      const writes = [];
      for (let i = 0; i < n; i++) {
        const a = vote(2 + 2 * i, `a${i}`);
        const b = vote(3 + 2 * i, `b${i}`);
        writes.push(store.annotate(CH, MSG, a, fold(a)), peer.annotate(CH, MSG, b, fold(b)));
      }
      const results = await Promise.all(writes);
      assert.equal(new Set(results.map((r) => r.version)).size, 2 * n, 'every annotation got a version of its own');
      const state = (await store.summaries(CH, [MSG])).get(MSG) as SummaryState;
      const summary = summarise(state, 1000) as Record<string, Record<string, { total: number }>>;
      assert.equal(summary['vote:multiple.v1']?.yes?.total, 2 * n);
      assert.equal((await peer.list(CH, MSG, 1000)).items.length, 2 * n);
    });
  });
}
