import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from '@ably/vcdiff-decoder';
import { Action, type Message, MessageAction, type ProtocolMessage } from '../protocol/index.ts';
import { DeltaStream } from './delta-stream.ts';

const event = (id: string, ...messages: Message[]): ProtocolMessage => ({ action: Action.MESSAGE, id, channel: 'c', messages });
const text = (n: number) => `{"counter":${n},"label":"the same long label on every message"}`;

test('the first message is whole, the next a delta naming it; subscribers at the same point share one message', () => {
  const [a, b] = [new DeltaStream(), new DeltaStream()];
  const e1 = event('e1', { data: text(1), encoding: 'json' });
  const e2 = event('e2', { data: text(2), encoding: 'json' });
  assert.equal(a.next(e1).messages?.[0]?.data, text(1));
  assert.equal(a.next(e1).messages?.[0]?.id, 'e1:0', 'ids made explicit');
  b.next(e1);
  const fromA = a.next(e2);
  assert.equal(b.next(e2), fromA, 'computed once per event and base');
  const m = fromA.messages?.[0] as Message;
  assert.equal(m.encoding, 'json/utf-8/vcdiff');
  assert.deepEqual(m.extras, { delta: { from: 'e1:0', format: 'vcdiff' } });
  assert.equal(Buffer.from(decode(m.data as Buffer, Buffer.from(text(1)))).toString(), text(2));
  // A fresh stream (a new attach) starts whole again; e2 as its first is not a delta.
  assert.equal(new DeltaStream().next(e2).messages?.[0]?.data, text(2));
});

test('operations go whole but become the base; so do payloads a delta would not shrink', () => {
  const s = new DeltaStream();
  s.next(event('e1', { data: text(1) }));
  const update = s.next(event('e2', { data: text(2), action: MessageAction.UPDATE, serial: 'x' }));
  assert.equal(update.messages?.[0]?.data, text(2));
  const next = s.next(event('e3', { data: text(3) })).messages?.[0] as Message;
  assert.deepEqual(next.extras, { delta: { from: 'e2:0', format: 'vcdiff' } });
  assert.equal(next.encoding, 'utf-8/vcdiff');
  const unrelated = s.next(event('e4', { data: Buffer.from('0123456789') })).messages?.[0] as Message;
  assert.ok(Buffer.isBuffer(unrelated.data) && unrelated.extras === undefined);
  // A message without a payload leaves no base: the one after it is whole.
  s.next(event('e5', { name: 'no data' }));
  assert.equal(s.next(event('e6', { data: text(6) })).messages?.[0]?.data, text(6));
});

test('text a client left in base64 is neither a delta nor a base (the SDK keeps its decoded bytes)', () => {
  const s = new DeltaStream();
  s.next(event('e1', { data: text(1) }));
  const encoded = Buffer.from(text(2)).toString('base64');
  assert.equal(s.next(event('e2', { data: encoded, encoding: 'base64' })).messages?.[0]?.data, encoded);
  assert.equal(s.next(event('e3', { data: text(3) })).messages?.[0]?.data, text(3), 'whole: no base to take it against');
});
