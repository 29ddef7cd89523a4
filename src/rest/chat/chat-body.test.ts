import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorInfo } from '../../errors/index.ts';
import { parseDeleteBody, parseReactionBody, parseReactionQuery, parseSendBody, parseUpdateBody } from './chat-body.ts';

/** What `f` throws, as an Ably error (code 0 when it throws nothing). */
function thrown(f: () => unknown): ErrorInfo {
  try {
    f();
  } catch (err) {
    return ErrorInfo.from(err);
  }
  return new ErrorInfo('nothing thrown', 0, 0);
}

const codeOf = (f: () => unknown): number => thrown(f).code;

test('a send body: text required; metadata and headers default to empty', () => {
  assert.deepEqual(parseSendBody({ text: '' }), { text: '', metadata: {}, headers: {} });
  assert.deepEqual(parseSendBody({ text: 'hi', metadata: { deep: { a: [1] } }, headers: { a: 'x', b: 1, c: true, d: null } }), {
    text: 'hi',
    metadata: { deep: { a: [1] } },
    headers: { a: 'x', b: 1, c: true, d: null },
  });
  for (const body of [undefined, 'text', [{ text: 'hi' }], null])
    assert.equal(
      codeOf(() => parseSendBody(body)),
      40001,
    );
  for (const body of [
    {},
    { text: 1 },
    { text: 'x', metadata: [] },
    { text: 'x', metadata: 'm' },
    { text: 'x', headers: { h: {} } },
  ]) {
    assert.equal(
      codeOf(() => parseSendBody(body)),
      40003,
      JSON.stringify(body),
    );
  }
  assert.ok(thrown(() => parseSendBody({ text: 'x', headers: { h: [1] } })).message.includes('header h'));
});

test('an update body: the new content under `message`, the why beside it', () => {
  assert.deepEqual(parseUpdateBody({ message: { text: 'new' }, description: 'typo', metadata: { k: 'v' } }), {
    content: { text: 'new', metadata: {}, headers: {} },
    details: { description: 'typo', metadata: { k: 'v' } },
  });
  for (const body of [
    { text: 'new' },
    { message: { text: 'x' }, description: 1 },
    { message: { text: 'x' }, metadata: { k: 1 } },
  ]) {
    assert.equal(
      codeOf(() => parseUpdateBody(body)),
      40003,
      JSON.stringify(body),
    );
  }
});

test('a delete body is optional', () => {
  assert.deepEqual(parseDeleteBody(undefined), {});
  assert.deepEqual(parseDeleteBody({}), { description: undefined, metadata: undefined });
  assert.deepEqual(parseDeleteBody({ description: 'spam' }), { description: 'spam', metadata: undefined });
  assert.equal(
    codeOf(() => parseDeleteBody('x')),
    40001,
  );
  assert.equal(
    codeOf(() => parseDeleteBody({ metadata: 'x' })),
    40003,
  );
});

test('a reaction: one of the three Chat types, a name, and a count only for multiple', () => {
  assert.deepEqual(parseReactionBody({ type: 'distinct', name: '👍' }), { type: 'distinct', name: '👍' });
  assert.deepEqual(parseReactionBody({ type: 'multiple', name: '👏', count: 3 }), { type: 'multiple', name: '👏', count: 3 });
  for (const body of [
    { type: 'toString', name: 'x' },
    { type: 'distinct' },
    { type: 'unique', name: '' },
    { type: 'unique', name: 'x', count: 1 },
    { type: 'multiple', name: 'x', count: 1.5 },
    { type: 'multiple', name: 'x', count: '2' },
  ]) {
    assert.equal(
      codeOf(() => parseReactionBody(body)),
      40003,
      JSON.stringify(body),
    );
  }
  assert.deepEqual(parseReactionQuery(new URLSearchParams('type=unique')), { type: 'unique' });
  assert.deepEqual(parseReactionQuery(new URLSearchParams('type=multiple&name=x')), { type: 'multiple', name: 'x' });
  assert.equal(
    codeOf(() => parseReactionQuery(new URLSearchParams('type=distinct'))),
    40003,
  );
  assert.equal(
    codeOf(() => parseReactionQuery(new URLSearchParams('name=x'))),
    40003,
  );
});
