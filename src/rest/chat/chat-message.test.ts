import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageAction } from '../../protocol/index.ts';
import { CHAT_MESSAGE_NAME, channelMessageOf, isChatMessage, toRestMessage } from './chat-message.ts';

const SERIAL = '1764600000000abcd-000000000007:000';

test('a chat message goes on the channel as chat.message with JSON {text, metadata} and extras.headers', () => {
  const m = channelMessageOf({ text: 'hi', metadata: { a: [1] }, headers: { lang: 'en' } });
  assert.equal(m.name, CHAT_MESSAGE_NAME);
  assert.equal(m.encoding, 'json');
  assert.deepEqual(JSON.parse(m.data as string), { text: 'hi', metadata: { a: [1] } });
  assert.deepEqual(m.extras, { headers: { lang: 'en' } });
  assert.equal(isChatMessage(m), true);
  assert.equal(isChatMessage({ name: 'other' }), false);
});

test('a created message reads back with itself as its version', () => {
  const stored = {
    ...channelMessageOf({ text: 'hi', metadata: {}, headers: {} }),
    serial: SERIAL,
    timestamp: 5,
    clientId: 'ann',
  };
  assert.deepEqual(toRestMessage(stored), {
    serial: SERIAL,
    version: { serial: SERIAL, timestamp: 5 },
    text: 'hi',
    clientId: 'ann',
    action: 'message.create',
    metadata: {},
    headers: {},
    timestamp: 5,
  });
});

test('later versions keep the creation timestamp and show who changed them and why', () => {
  const version = {
    serial: `${SERIAL.slice(0, -5)}8:000`,
    timestamp: 9,
    clientId: 'mod',
    description: 'spam',
    metadata: { r: 'x' },
  };
  const deleted = {
    name: CHAT_MESSAGE_NAME,
    data: null,
    extras: {},
    serial: SERIAL,
    timestamp: 5,
    action: MessageAction.DELETE,
    version,
  };
  const rest = toRestMessage(deleted);
  assert.equal(rest.action, 'message.delete');
  assert.equal(rest.text, '');
  assert.deepEqual(rest.version, version);
  assert.equal(rest.timestamp, 5);
  assert.equal(rest.clientId, '');
  assert.equal(toRestMessage({ ...deleted, action: MessageAction.UPDATE }).action, 'message.update');
  // An appended-to message (pub/sub appends on the room channel) shows, like in history, as updated.
  assert.equal(toRestMessage({ ...deleted, action: MessageAction.APPEND }).action, 'message.update');
});

test('data a pub/sub client published on the room channel: encodings are undone, anything else is empty content', () => {
  const json = JSON.stringify({ text: 'from pubsub', metadata: { n: 1 } });
  const b64 = { serial: SERIAL, data: Buffer.from(json).toString('base64'), encoding: 'json/utf-8/base64' };
  assert.equal(toRestMessage(b64).text, 'from pubsub');
  assert.deepEqual(toRestMessage(b64).metadata, { n: 1 });
  assert.equal(toRestMessage({ serial: SERIAL, data: Buffer.from(json), encoding: 'json' }).text, 'from pubsub');
  for (const odd of [
    { data: 'plain text' },
    { data: '{not json', encoding: 'json' },
    { data: '[1,2]', encoding: 'json' },
    { data: 'x', encoding: 'cipher+aes-128-cbc/base64' },
    { data: JSON.stringify({ text: 7, metadata: 'no' }), encoding: 'json', extras: { headers: 'no' } },
  ]) {
    const rest = toRestMessage({ serial: SERIAL, ...odd });
    assert.deepEqual([rest.text, rest.metadata, rest.headers], ['', {}, {}], JSON.stringify(odd));
  }
});

test('a message with an annotation summary carries its reaction types as reactions; other types are left out', () => {
  const summary = {
    'reaction:distinct.v1': { '👍': { total: 1, clientIds: ['ann'], clipped: false } },
    'reaction:multiple.v1': {
      '👏': { total: 3, clientIds: { ann: 3 }, totalUnidentified: 0, clipped: false, totalClientIds: 1 },
    },
    'receipts:flag.v1': { total: 1, clientIds: ['ann'], clipped: false },
  };
  const rest = toRestMessage({ serial: SERIAL, name: CHAT_MESSAGE_NAME, annotations: { summary } });
  assert.deepEqual(rest.reactions, {
    unique: {},
    distinct: summary['reaction:distinct.v1'],
    multiple: summary['reaction:multiple.v1'],
  });
  assert.equal(toRestMessage({ serial: SERIAL }).reactions, undefined);
});
