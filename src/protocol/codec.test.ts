import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Packr, Unpackr } from 'msgpackr';
import { ErrorInfo } from '../errors/index.ts';
import { codecFor, jsonCodec, msgpackCodec } from './codec.ts';
import { Action } from './constants.ts';
import type { ProtocolMessage } from './types.ts';

// What the SDK itself produces: @ably/msgpack-js writes integers >= 2^32 as uint64, which msgpackr reproduces with
// largeBigIntToFloat off and a BigInt value; a plain Packr writes a JS number that large as float64 instead.
const sdkLikePackr = new Packr({ useRecords: false, useBigIntExtension: false });
const plainUnpackr = new Unpackr({ mapsAsObjects: true, useRecords: false });

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const packed = (value: unknown): Buffer => sdkLikePackr.pack(value);

/** Runs `fn` and returns the ErrorInfo it throws (failing the test if it throws anything else or nothing). */
function thrown(fn: () => unknown): ErrorInfo {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ErrorInfo, `expected ErrorInfo, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an ErrorInfo to be thrown');
}

/** Every key anywhere in a decoded msgpack value whose value is undefined. */
function undefinedPaths(value: unknown, path = '$'): string[] {
  if (value === undefined) return [path];
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Uint8Array) return [];
  return Object.entries(value).flatMap(([k, v]) => undefinedPaths(v, `${path}.${k}`));
}

describe('codecFor', () => {
  test('msgpack is the default, json on request, anything else is refused', () => {
    assert.equal(codecFor(undefined), msgpackCodec);
    assert.equal(codecFor('msgpack'), msgpackCodec);
    assert.equal(codecFor('json'), jsonCodec);
    assert.equal(codecFor('xml'), undefined);
  });
});

describe('jsonCodec', () => {
  test('decodes an SDK publish and drops the stray size field', () => {
    const frame = json({
      action: 15,
      channel: 'room1',
      msgSerial: 3,
      messages: [{ name: 'ev', data: '{"a":1}', encoding: 'json', action: 0, size: 9 }],
    });
    const decoded = jsonCodec.decode(frame, false);
    assert.deepEqual(JSON.parse(JSON.stringify(decoded)), {
      action: 15,
      channel: 'room1',
      msgSerial: 3,
      messages: [{ name: 'ev', data: '{"a":1}', encoding: 'json', action: 0 }],
    });
    assert.equal('size' in (decoded.messages?.[0] ?? {}), false);
  });

  test('base64 data becomes raw bytes and the base64 step is removed from encoding', () => {
    const decoded = jsonCodec.decode(
      json({
        action: 14,
        channel: 'c',
        msgSerial: 0,
        presence: [{ action: 2, clientId: 'other', data: 'AQID', encoding: 'base64' }],
        messages: [{ data: 'AQID', encoding: 'utf-8/cipher+aes-128-cbc/base64' }],
      }),
      false,
    );
    assert.deepEqual(decoded.presence?.[0]?.data, Buffer.from([1, 2, 3]));
    assert.equal(decoded.presence?.[0]?.encoding, undefined);
    assert.deepEqual(decoded.messages?.[0]?.data, Buffer.from([1, 2, 3]));
    assert.equal(decoded.messages?.[0]?.encoding, 'utf-8/cipher+aes-128-cbc');
  });

  test('non-base64 encodings are left alone', () => {
    const decoded = jsonCodec.decode(json({ action: 15, messages: [{ data: 'AQID', encoding: 'json' }] }), false);
    assert.equal(decoded.messages?.[0]?.data, 'AQID');
    assert.equal(decoded.messages?.[0]?.encoding, 'json');
  });

  test('binary data is encoded as base64 with the base64 step appended', () => {
    const frame = jsonCodec.encode({
      action: Action.MESSAGE,
      channel: 'c',
      messages: [
        { name: 'a', data: Buffer.from([1, 2, 3]) },
        { name: 'b', data: Buffer.from([255]), encoding: 'cipher' },
        { name: 'c', data: 'text' },
      ],
      presence: [{ action: 2, clientId: 'x', data: Buffer.from([0]) }],
    });
    assert.equal(typeof frame, 'string');
    const wire = JSON.parse(frame as string);
    assert.deepEqual(wire.messages, [
      { name: 'a', data: 'AQID', encoding: 'base64' },
      { name: 'b', data: '/w==', encoding: 'cipher/base64' },
      { name: 'c', data: 'text' },
    ]);
    assert.deepEqual(wire.presence, [{ action: 2, clientId: 'x', data: 'AA==', encoding: 'base64' }]);
  });

  test('round trip: what the server encodes for a JSON client decodes back to the same bytes', () => {
    const original: ProtocolMessage = {
      action: Action.MESSAGE,
      channel: 'round',
      msgSerial: 7,
      messages: [{ name: 'bin', data: Buffer.from('héllo'), encoding: 'utf-8', extras: { headers: { a: '1' } } }],
    };
    const back = jsonCodec.decode(Buffer.from(jsonCodec.encode(original)), false);
    assert.deepEqual(back.messages?.[0]?.data, Buffer.from('héllo'));
    assert.equal(back.messages?.[0]?.encoding, 'utf-8');
    assert.deepEqual(back.messages?.[0]?.extras, { headers: { a: '1' } });
    assert.equal(back.msgSerial, 7);
  });

  test('does not mutate the message it encodes (it is shared across connections)', () => {
    const message: ProtocolMessage = { action: Action.MESSAGE, messages: [{ data: Buffer.from([9]) }] };
    jsonCodec.encode(message);
    assert.deepEqual(message.messages?.[0]?.data, Buffer.from([9]));
    assert.equal(message.messages?.[0]?.encoding, undefined);
  });

  test('malformed JSON is a protocol error (80013)', () => {
    for (const bad of ['{', 'not json', '', '{"action":']) {
      const err = thrown(() => jsonCodec.decode(Buffer.from(bad), false));
      assert.equal(err.code, 80013, bad);
      assert.equal(err.statusCode, 400);
    }
  });

  test('wrong shapes and field types are protocol errors (80013)', () => {
    const cases: unknown[] = [
      [],
      'string',
      42,
      null,
      {},
      { action: 'fifteen' },
      { action: -1 },
      { action: 1.5 },
      { action: 15, msgSerial: '3' },
      { action: 15, channel: 7 },
      { action: 15, flags: {} },
      { action: 15, messages: {} },
      { action: 15, messages: ['x'] },
      { action: 15, messages: [{ name: 5 }] },
      { action: 15, messages: [{ extras: 'x' }] },
      { action: 14, presence: [{ clientId: 'a' }] },
      { action: 17, auth: 'token' },
      { action: 10, params: [] },
      { action: 15, messages: Array.from({ length: 1001 }, () => ({})) },
    ];
    for (const value of cases) {
      const err = thrown(() => jsonCodec.decode(json(value), false));
      assert.equal(err.code, 80013, JSON.stringify(value).slice(0, 80));
    }
  });

  test('data of an unsupported type is invalid message data (40013)', () => {
    for (const data of [{ a: 1 }, 5, true, [1]]) {
      const err = thrown(() => jsonCodec.decode(json({ action: 15, messages: [{ data }] }), false));
      assert.equal(err.code, 40013, JSON.stringify(data));
    }
  });

  test('null fields are treated as absent', () => {
    const decoded = jsonCodec.decode(json({ action: 15, channel: null, msgSerial: null, messages: [{ data: null }] }), false);
    assert.equal(decoded.channel, undefined);
    assert.equal(decoded.msgSerial, undefined);
    assert.equal(decoded.messages?.[0]?.data, null);
  });

  test('params values are stringified', () => {
    const decoded = jsonCodec.decode(json({ action: 10, channel: 'c', params: { rewind: 1, delta: 'vcdiff' } }), false);
    assert.deepEqual(decoded.params, { rewind: '1', delta: 'vcdiff' });
  });
});

describe('msgpackCodec', () => {
  test('decodes an SDK publish with binary data as raw bytes and drops size', () => {
    const decoded = msgpackCodec.decode(
      packed({
        action: 15,
        channel: 'room1',
        msgSerial: 2,
        messages: [{ name: 'bin', data: Buffer.from([1, 2, 3]), action: 0, size: 3 }],
      }),
      true,
    );
    assert.equal(decoded.action, 15);
    assert.equal(decoded.channel, 'room1');
    assert.equal(decoded.msgSerial, 2);
    assert.ok(Buffer.isBuffer(decoded.messages?.[0]?.data));
    assert.deepEqual(decoded.messages?.[0]?.data, Buffer.from([1, 2, 3]));
    assert.equal('size' in (decoded.messages?.[0] ?? {}), false);
  });

  test('uint64 integers (timestamps, large serials) decode as numbers, not BigInt', () => {
    const big = 1_700_000_000_123; // > 2^32: the SDK writes this as uint64
    const frame = sdkLikePackr.pack({ action: 15, msgSerial: BigInt(big), messages: [{ action: 0 }] });
    assert.equal(frame.includes(0xcf), true, 'fixture must contain a uint64 (0xcf)');
    const decoded = msgpackCodec.decode(frame, true);
    assert.equal(typeof decoded.msgSerial, 'number');
    assert.equal(decoded.msgSerial, big);
  });

  test('maps decode as plain objects', () => {
    const decoded = msgpackCodec.decode(packed({ action: 10, channel: 'c', params: { rewind: '1' } }), true);
    assert.deepEqual(decoded.params, { rewind: '1' });
  });

  test('round trip keeps binary as binary and never emits undefined', () => {
    const original: ProtocolMessage = {
      action: Action.MESSAGE,
      channel: 'c',
      id: undefined,
      connectionId: 'conn',
      timestamp: 1_700_000_000_123,
      messages: [{ name: undefined, data: Buffer.from([0, 255]), encoding: undefined, clientId: 'u', extras: undefined }],
      presence: [{ action: 2, clientId: 'u', data: undefined, encoding: undefined }],
    };
    const frame = msgpackCodec.encode(original);
    assert.ok(Buffer.isBuffer(frame));
    const raw = plainUnpackr.unpack(frame as Buffer);
    assert.deepEqual(undefinedPaths(raw), []);
    assert.equal('id' in raw, false);
    assert.equal('name' in raw.messages[0], false);
    assert.equal(raw.timestamp, 1_700_000_000_123);
    const back = msgpackCodec.decode(frame as Buffer, true);
    assert.deepEqual(back.messages?.[0]?.data, Buffer.from([0, 255]));
    assert.equal(back.messages?.[0]?.clientId, 'u');
  });

  test('malformed msgpack is a protocol error (80013)', () => {
    const cases = [Buffer.from([0xc1]), Buffer.from([0x85]), Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])];
    for (const frame of cases) {
      const err = thrown(() => msgpackCodec.decode(frame, true));
      assert.equal(err.code, 80013, frame.toString('hex'));
    }
  });

  test('a well-formed msgpack value of the wrong shape is a protocol error (80013)', () => {
    for (const value of [[1, 2], 'x', { action: 'x' }, { action: 15, msgSerial: -3 }, { action: 15, messages: [1] }]) {
      const err = thrown(() => msgpackCodec.decode(packed(value), true));
      assert.equal(err.code, 80013, JSON.stringify(value));
    }
  });

  test('data of an unsupported type is invalid message data (40013)', () => {
    const err = thrown(() => msgpackCodec.decode(packed({ action: 15, messages: [{ data: { nested: true } }] }), true));
    assert.equal(err.code, 40013);
  });
});

describe('annotations', () => {
  const frame = {
    action: Action.ANNOTATION,
    channel: 'c',
    msgSerial: 3,
    annotations: [
      {
        action: 1,
        messageSerial: 'e-1:000',
        type: 'reaction:distinct.v1',
        name: '👍',
        count: 2,
        data: 'AQI=',
        encoding: 'base64',
        clientId: 'a',
        serial: 'forged',
        connectionId: 'forged',
        summary: { forged: true },
      },
    ],
  };

  test('decode keeps what a client may send, turns JSON base64 into bytes, and drops server-assigned fields', () => {
    const [a] = jsonCodec.decode(json(frame), false).annotations ?? [];
    assert.equal(a?.action, 1);
    assert.equal(a?.messageSerial, 'e-1:000');
    assert.equal(a?.type, 'reaction:distinct.v1');
    assert.equal(a?.name, '👍');
    assert.equal(a?.count, 2);
    assert.deepEqual(a?.data, Buffer.from([1, 2]));
    assert.equal(a?.encoding, undefined);
    assert.equal(a?.serial, undefined);
    assert.equal(a?.connectionId, undefined);
    assert.equal('summary' in (a ?? {}), false);
    const [m] =
      msgpackCodec.decode(packed({ ...frame, annotations: [{ type: 't', data: Buffer.from([1]) }] }), true).annotations ?? [];
    assert.deepEqual(m?.data, Buffer.from([1]));
  });

  test('encode gives JSON clients binary annotation data as base64', () => {
    const out = JSON.parse(
      jsonCodec.encode({ action: Action.ANNOTATION, annotations: [{ type: 't', data: Buffer.from([1, 2]) }] }) as string,
    );
    assert.deepEqual(out.annotations[0], { type: 't', data: 'AQI=', encoding: 'base64' });
  });

  test('a malformed annotation is a protocol error', () => {
    assert.equal(thrown(() => jsonCodec.decode(json({ ...frame, annotations: [{ count: -1 }] }), false)).code, 80013);
    assert.equal(thrown(() => jsonCodec.decode(json({ ...frame, annotations: [{ type: 5 }] }), false)).code, 80013);
    assert.equal(thrown(() => jsonCodec.decode(json({ ...frame, annotations: {} }), false)).code, 80013);
  });
});
