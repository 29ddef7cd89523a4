import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorInfo } from '../errors/index.ts';
import { packMsgpack, unpackMsgpack } from '../protocol/index.ts';
import { joinFrames, splitFrames } from './batch.ts';

const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ action: 15, channel: `c${i}` }));

test('JSON frames join into one array, newline-terminated for streamed readers', () => {
  const frames = messages(3).map((m) => JSON.stringify(m));
  const body = joinFrames(frames, false).toString();
  assert.ok(body.endsWith(']\n'));
  assert.deepEqual(JSON.parse(body), messages(3));
  assert.deepEqual(JSON.parse(joinFrames([], false).toString()), []);
});

test('msgpack frames join into one array at every header size', () => {
  for (const n of [0, 1, 15, 16, 70_000]) {
    const frames = messages(n).map((m) => packMsgpack(m));
    assert.deepEqual(unpackMsgpack(joinFrames(frames, true)), messages(n), `${n} frames`);
  }
});

test('a send body splits into one frame per message, in either format', () => {
  const json = splitFrames(Buffer.from(JSON.stringify(messages(2))), false);
  assert.deepEqual(
    json.map((f) => JSON.parse(f.toString())),
    messages(2),
  );
  const binary = splitFrames(packMsgpack(messages(2)), true);
  assert.deepEqual(
    binary.map((f) => unpackMsgpack(f)),
    messages(2),
  );
});

test('a send body that is not a non-empty array of messages is 40000', () => {
  for (const body of ['{"action":15}', '[]', '[1]', '[[]]', 'not json', '']) {
    assert.throws(
      () => splitFrames(Buffer.from(body), false),
      (err) => err instanceof ErrorInfo && err.code === 40000,
      body,
    );
  }
  assert.throws(
    () => splitFrames(Buffer.from([0xc1]), true),
    (err) => err instanceof ErrorInfo && err.code === 40000,
  );
});
