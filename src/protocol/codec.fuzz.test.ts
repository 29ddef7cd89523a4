import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { ErrorInfo } from '../errors/index.ts';
import { jsonCodec, msgpackCodec } from './codec.ts';
import type { ProtocolMessage } from './types.ts';

const packr = new Packr({ useRecords: false });

/** decode either yields a message or throws an ErrorInfo with a 4xxxx/8xxxx code, never anything else. */
function decodesOrRefuses(decode: () => ProtocolMessage): void {
  try {
    const message = decode();
    assert.equal(typeof message.action, 'number');
  } catch (err) {
    assert.ok(err instanceof ErrorInfo, `unexpected ${String(err)}`);
    assert.ok(err.code === 80013 || err.code === 40013, `code ${err.code}`);
  }
}

// Values shaped like ProtocolMessages but with every field free to be the wrong type.
const loose = fc.record(
  {
    action: fc.oneof(fc.integer({ min: -2, max: 25 }), fc.string(), fc.constant(null), fc.double()),
    msgSerial: fc.oneof(fc.nat(), fc.integer(), fc.string(), fc.double()),
    channel: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    flags: fc.oneof(fc.nat(), fc.string()),
    messages: fc.oneof(fc.array(fc.anything(), { maxLength: 4 }), fc.anything()),
    presence: fc.oneof(
      fc.array(fc.record({ action: fc.oneof(fc.nat(5), fc.string()), clientId: fc.anything(), data: fc.anything() }), {
        maxLength: 4,
      }),
      fc.anything(),
    ),
    auth: fc.anything(),
    params: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('codec fuzz', () => {
  it('JSON: any text decodes or is refused with a protocol error', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => decodesOrRefuses(() => jsonCodec.decode(Buffer.from(text), false))),
      {
        numRuns: 2000,
      },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (value) => decodesOrRefuses(() => jsonCodec.decode(Buffer.from(JSON.stringify(value)), false))),
      {
        numRuns: 2000,
      },
    );
    fc.assert(
      fc.property(loose, (value) =>
        decodesOrRefuses(() => jsonCodec.decode(Buffer.from(JSON.stringify(value) ?? 'null'), false)),
      ),
      {
        numRuns: 2000,
      },
    );
  });

  it('msgpack: any bytes, and any packed value, decode or are refused with a protocol error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) =>
        decodesOrRefuses(() => msgpackCodec.decode(Buffer.from(bytes), true)),
      ),
      {
        numRuns: 3000,
      },
    );
    fc.assert(
      fc.property(fc.oneof(fc.anything(), loose), (value) =>
        decodesOrRefuses(() => msgpackCodec.decode(packr.pack(value), true)),
      ),
      {
        numRuns: 2000,
      },
    );
    // Truncations of a valid frame.
    const valid = packr.pack({ action: 15, channel: 'c', msgSerial: 3, messages: [{ name: 'n', data: Buffer.from([1, 2, 3]) }] });
    for (let i = 0; i < valid.length; i++) decodesOrRefuses(() => msgpackCodec.decode(valid.subarray(0, i), true));
  });

  it('deep nesting and huge arrays are refused, not crashed on', () => {
    const deepJson = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    decodesOrRefuses(() => jsonCodec.decode(Buffer.from(deepJson), false));
    const deepExtras = `{"action":15,"messages":[{"extras":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}]}`;
    decodesOrRefuses(() => jsonCodec.decode(Buffer.from(deepExtras), false));
    const deepMsgpack = Buffer.concat([Buffer.alloc(200_000, 0x91), Buffer.from([0x01])]);
    decodesOrRefuses(() => msgpackCodec.decode(deepMsgpack, true));
    const hugeArray = Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]); // array32 claiming 4 billion items, no body
    decodesOrRefuses(() => msgpackCodec.decode(hugeArray, true));
    assert.throws(
      () => jsonCodec.decode(Buffer.from(JSON.stringify({ action: 15, messages: Array(5000).fill({}) })), false),
      ErrorInfo,
    );
  });

  it('valid messages survive encode → decode in both formats', () => {
    const item = fc.record(
      {
        name: fc.string(),
        data: fc.oneof(
          fc.string(),
          fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)),
        ),
        clientId: fc.string({ minLength: 1 }),
      },
      { requiredKeys: [] },
    );
    const message = fc.record({
      action: fc.constant(15),
      channel: fc.string(),
      msgSerial: fc.nat(),
      messages: fc.array(item, { maxLength: 5 }),
    });
    fc.assert(
      fc.property(message, (m) => {
        for (const codec of [jsonCodec, msgpackCodec]) {
          const encoded = codec.encode(m as ProtocolMessage);
          const decoded = codec.decode(Buffer.from(encoded), codec === msgpackCodec);
          assert.equal(decoded.channel, m.channel);
          assert.equal(decoded.msgSerial, m.msgSerial);
          assert.deepEqual(
            decoded.messages?.map((x) => [x.name, x.clientId, Buffer.isBuffer(x.data) ? x.data.toString('hex') : x.data]),
            m.messages.map((x) => [x.name, x.clientId, Buffer.isBuffer(x.data) ? x.data.toString('hex') : x.data]),
          );
        }
      }),
      { numRuns: 500 },
    );
  });
});
