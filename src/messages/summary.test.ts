import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Annotation, AnnotationAction } from '../protocol/index.ts';
import { applyAnnotation, clientState, type SummaryState, summarise, summaryMethod } from './summary.ts';

const create = (type: string, clientId: string | undefined, name?: string, count?: number): Annotation => ({
  action: AnnotationAction.CREATE,
  type,
  clientId,
  name,
  count,
});
const del = (type: string, clientId: string | undefined, name?: string): Annotation => ({
  action: AnnotationAction.DELETE,
  type,
  clientId,
  name,
});

/** Folds annotations into a state, as the store does one at a time. */
function fold(annotations: Annotation[]): SummaryState | undefined {
  let state: SummaryState | undefined;
  for (const a of annotations) state = applyAnnotation(state, a) ?? state;
  return state;
}

describe('annotation summaries', () => {
  it('knows the v1 methods by the part after the colon', () => {
    assert.equal(summaryMethod('reaction:distinct.v1'), 'distinct.v1');
    assert.equal(summaryMethod('a:b:multiple.v1'), 'multiple.v1');
    assert.equal(summaryMethod('distinct.v1'), undefined, 'a type needs a namespace');
    assert.equal(summaryMethod('reaction:distinct.v2'), undefined);
    assert.equal(applyAnnotation(undefined, create('comment:none.v1', 'a')), undefined);
  });

  it('distinct.v1: each client once per name; a delete removes it from that name only', () => {
    const T = 'reaction:distinct.v1';
    const state = fold([
      create(T, 'a', '👍'),
      create(T, 'a', '👍'),
      create(T, 'b', '👍'),
      create(T, 'a', '❤️'),
      del(T, 'b', '👍'),
    ]);
    assert.deepEqual(summarise(state as SummaryState, 100), {
      [T]: {
        '👍': { total: 1, clientIds: ['a'], clipped: false },
        '❤️': { total: 1, clientIds: ['a'], clipped: false },
      },
    });
    const after = fold([create(T, 'a', 'x'), del(T, 'a', 'x')]);
    assert.deepEqual(summarise(after as SummaryState, 100), { [T]: {} }, 'names nobody holds are dropped');
  });

  it('unique.v1: a client holds one name at a time; a delete without a name removes it everywhere', () => {
    const T = 'reaction:unique.v1';
    let state = fold([create(T, 'a', '👍'), create(T, 'b', '👍'), create(T, 'a', '❤️')]);
    assert.deepEqual(summarise(state as SummaryState, 100), {
      [T]: {
        '👍': { total: 1, clientIds: ['b'], clipped: false },
        '❤️': { total: 1, clientIds: ['a'], clipped: false },
      },
    });
    state = applyAnnotation(state, del(T, 'a'));
    state = applyAnnotation(state, del(T, 'b', '❤️'));
    assert.deepEqual(summarise(state as SummaryState, 100), {
      [T]: { '👍': { total: 1, clientIds: ['b'], clipped: false } },
    });
  });

  it('multiple.v1: counts add up per client and for unidentified clients; a delete drops the client from the name', () => {
    const T = 'vote:multiple.v1';
    const state = fold([
      create(T, 'a', 'yes', 3),
      create(T, 'a', 'yes'),
      create(T, 'b', 'yes', 2),
      create(T, undefined, 'yes', 5),
      create(T, 'b', 'no'),
      del(T, 'b', 'yes'),
    ]);
    assert.deepEqual(summarise(state as SummaryState, 100), {
      [T]: {
        yes: { total: 9, clientIds: { a: 4 }, totalUnidentified: 5, clipped: false, totalClientIds: 1 },
        no: { total: 1, clientIds: { b: 1 }, totalUnidentified: 0, clipped: false, totalClientIds: 1 },
      },
    });
  });

  it('total.v1 counts annotations, flag.v1 lists clients once; types are summarised side by side', () => {
    const state = fold([
      create('views:total.v1', undefined),
      create('views:total.v1', 'a'),
      create('views:total.v1', 'a'),
      del('views:total.v1', 'a'),
      create('seen:flag.v1', 'a'),
      create('seen:flag.v1', 'a'),
      create('seen:flag.v1', 'b'),
      del('seen:flag.v1', 'a'),
    ]);
    assert.deepEqual(summarise(state as SummaryState, 100), {
      'views:total.v1': { total: 2 },
      'seen:flag.v1': { total: 1, clientIds: ['b'], clipped: false },
    });
  });

  it('clips clientId lists beyond the limit while the totals count everyone', () => {
    const clients = Array.from({ length: 5 }, (_, i) => `c${i}`);
    const state = fold([
      ...clients.map((c) => create('r:distinct.v1', c, 'x')),
      ...clients.map((c) => create('v:multiple.v1', c, 'x', 2)),
    ]) as SummaryState;
    const summary = summarise(state, 3) as Record<string, Record<string, Record<string, unknown>>>;
    assert.deepEqual(summary['r:distinct.v1']?.x, { total: 5, clientIds: ['c0', 'c1', 'c2'], clipped: true });
    assert.deepEqual(summary['v:multiple.v1']?.x, {
      total: 10,
      clientIds: { c0: 2, c1: 2, c2: 2 },
      totalUnidentified: 0,
      clipped: true,
      totalClientIds: 5,
    });
  });

  it('never changes the state it is given', () => {
    const T = 'reaction:unique.v1';
    const before = fold([create(T, 'a', 'x')]) as SummaryState;
    const copy = structuredClone(before);
    applyAnnotation(before, create(T, 'a', 'y'));
    assert.deepEqual(before, copy);
  });

  it('picks out one client’s contributions', () => {
    const state = fold([
      create('r:distinct.v1', 'a', 'x'),
      create('r:distinct.v1', 'b', 'y'),
      create('v:multiple.v1', 'a', 'x', 2),
      create('s:flag.v1', 'b'),
    ]) as SummaryState;
    assert.deepEqual(summarise(clientState(state, 'a'), 100), {
      'r:distinct.v1': { x: { total: 1, clientIds: ['a'], clipped: false } },
      'v:multiple.v1': { x: { total: 2, clientIds: { a: 2 }, totalUnidentified: 0, clipped: false, totalClientIds: 1 } },
    });
  });
});
