import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { allows, type Capability, type Operation } from './capability.ts';
import { intersectCapabilities, intersectResource } from './capability-intersect.ts';

describe('intersectResource', () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['*', '*', '*'],
    ['*', 'room', 'room'],
    ['room', '*', 'room'],
    ['chat:*', '*', 'chat:*'],
    ['chat:*', 'chat:room-*', 'chat:room-*'],
    ['chat:*', 'chat:lobby', 'chat:lobby'],
    ['chat:*', 'news:*', undefined],
    ['room', 'other', undefined],
    ['*', '[meta]log', undefined],
    ['[meta]*', '*', undefined],
    ['[meta]*', '[meta]log', '[meta]log'],
  ];
  for (const [a, b, expected] of cases) {
    it(`${a} ∩ ${b} = ${expected}`, () => assert.equal(intersectResource(a, b), expected));
  }
});

describe('intersectCapabilities', () => {
  it('grants only what both grant, operation by operation', () => {
    const key: Capability = { 'chat:*': ['presence', 'subscribe'], notifications: ['subscribe'] };
    const requested: Capability = { '*': ['*'], 'chat:lobby': ['publish'] };
    assert.deepEqual(intersectCapabilities(requested, key), {
      'chat:*': ['presence', 'subscribe'],
      notifications: ['subscribe'],
    });
  });

  it('is empty when nothing overlaps', () => {
    assert.deepEqual(intersectCapabilities({ 'a:*': ['publish'] }, { 'b:*': ['*'] }), {});
    assert.deepEqual(intersectCapabilities({ room: ['publish'] }, { room: ['subscribe'] }), {});
  });

  it('keeps a wildcard operation list as ["*"]', () => {
    assert.deepEqual(intersectCapabilities({ '*': ['*'] }, { '*': ['*'] }), { '*': ['*'] });
  });

  // The defining property: an operation is allowed by the intersection exactly when both inputs allow it.
  it('allows(a ∩ b) = allows(a) ∧ allows(b) for any channel and operation', () => {
    const segment = fc.constantFrom('chat', 'chat:', 'room', 'a', 'ab', '[meta]', '[meta]x', 'x:y', '');
    const resource = fc.oneof(
      fc.constant('*'),
      fc.tuple(segment, segment).map(([p, q]) => `${p}${q}*`),
      fc.tuple(segment, segment).map(([p, q]) => `${p}${q}` || 'c'),
    );
    const op = fc.constantFrom<Operation>('publish', 'subscribe', 'presence', 'history', 'channel-metadata');
    const ops = fc.uniqueArray(fc.oneof(op, fc.constant('*')), { minLength: 1, maxLength: 3 });
    const capability = fc.dictionary(resource, ops, { maxKeys: 4 });
    const channel = fc.tuple(segment, segment, segment).map(([p, q, r]) => `${p}${q}${r}` || 'c');
    fc.assert(
      fc.property(capability, capability, channel, op, (a, b, ch, o) => {
        assert.equal(allows(intersectCapabilities(a, b), ch, o), allows(a, ch, o) && allows(b, ch, o));
      }),
      { numRuns: 2000 },
    );
  });
});
