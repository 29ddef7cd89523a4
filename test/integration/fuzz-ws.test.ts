import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type * as Ably from 'ably';
import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import { Collector, type Protocol, startServer, TEST_KEY } from '../helpers/server.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ mapsAsObjects: true, int64AsType: 'number', useRecords: false });

const FRAMES_PER_FORMAT = 1500;
const MAX_FRAME = 64 * 1024;

/** Adversarial payloads: each is [bytes or text, sent as binary?]. */
function adversarial(protocol: Protocol): fc.Arbitrary<[Buffer | string, boolean]> {
  const binary = protocol === 'msgpack';
  const encode = (v: unknown): [Buffer | string, boolean] =>
    binary ? [packr.pack(v), true] : [JSON.stringify(v) ?? 'null', false];
  const wrongTypes = fc
    .record(
      {
        action: fc.oneof(fc.constantFrom(10, 14, 15, 16, 12, 0), fc.string(), fc.double()),
        channel: fc.oneof(fc.constantFrom('fuzz', 'shared'), fc.integer(), fc.object()),
        msgSerial: fc.oneof(fc.nat(1000), fc.string(), fc.constant(-5)),
        messages: fc.oneof(fc.array(fc.anything(), { maxLength: 5 }), fc.string()),
        presence: fc.oneof(
          fc.array(fc.record({ action: fc.nat(5), clientId: fc.anything(), data: fc.anything() }), { maxLength: 3 }),
          fc.integer(),
        ),
        flags: fc.oneof(fc.nat(), fc.string()),
      },
      { requiredKeys: ['action'] },
    )
    .map(encode);
  // Built as text/bytes directly: encoding such depth with JSON.stringify would overflow the test's own stack.
  const deepNesting = fc.integer({ min: 4_000, max: 12_000 }).map((depth): [Buffer | string, boolean] => {
    if (!binary)
      return [
        `{"action":15,"channel":"fuzz","msgSerial":1,"messages":[{"extras":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]}`,
        false,
      ];
    const head = packr.pack({ action: 15, channel: 'fuzz', msgSerial: 1 });
    // fixmap of 4 entries instead of 3, the 4th being messages: [ {extras: {a: {a: ... 1}}} ]
    const prefix = Buffer.concat([
      Buffer.from([0x84]),
      head.subarray(1),
      packr.pack('messages'),
      Buffer.from([0x91, 0x81]),
      packr.pack('extras'),
    ]);
    return [
      Buffer.concat([prefix, Buffer.alloc(depth * 3, 0).map((_, i) => [0x81, 0xa1, 0x61][i % 3] as number), Buffer.from([0x01])]),
      true,
    ];
  });
  const hugeArray = fc.constantFrom<[Buffer | string, boolean]>(
    [Buffer.from([0xdd, 0x7f, 0xff, 0xff, 0xff]), true],
    [Buffer.from([0xdf, 0x7f, 0xff, 0xff, 0xff]), true],
    encode({ action: 15, channel: 'fuzz', msgSerial: 2, messages: Array(3000).fill({ data: 'x' }) }),
  );
  const truncated = fc.nat().map((n): [Buffer, boolean] => {
    const full = packr.pack({ action: 15, channel: 'fuzz', msgSerial: 3, messages: [{ name: 'n', data: 'payload' }] });
    return [full.subarray(0, n % full.length), true];
  });
  const invalidUtf8 = fc
    .uint8Array({ minLength: 1, maxLength: 40 })
    .map((b): [Buffer, boolean] => [Buffer.concat([Buffer.from([0xc3, 0x28, 0xff]), b]), false]);
  const randomBytes = fc
    .uint8Array({ maxLength: 300 })
    .map((b): [Buffer, boolean] => [Buffer.from(b), fc.sample(fc.boolean(), 1)[0] as boolean]);
  const oversized = fc.constant(
    encode({ action: 15, channel: 'fuzz', msgSerial: 4, messages: [{ data: 'y'.repeat(MAX_FRAME + 100) }] }),
  );
  return fc.oneof(
    { weight: 6, arbitrary: wrongTypes },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: hugeArray },
    { weight: 2, arbitrary: truncated },
    { weight: 2, arbitrary: invalidUtf8 },
    { weight: 3, arbitrary: randomBytes },
    { weight: 1, arbitrary: oversized },
  );
}

/** Sends every payload, opening a new raw connection whenever the server has closed the previous one. */
async function bombard(
  port: number,
  protocol: Protocol,
  payloads: Array<[Buffer | string, boolean]>,
): Promise<{ errors: number; sockets: number; internal: number[] }> {
  let errors = 0;
  const internal: number[] = [];
  let sockets = 0;
  let socket: WebSocket | undefined;
  const open = async () => {
    sockets++;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/?key=${encodeURIComponent(TEST_KEY)}&format=${protocol}&v=6`);
    ws.on('error', () => {});
    ws.on('message', (data: Buffer, isBinary) => {
      const frame = (isBinary ? unpackr.unpack(data) : JSON.parse(data.toString())) as { error?: { code: number } };
      if (frame.error) {
        errors++;
        // A client's bad input must never be reported as the server's own failure.
        if (frame.error.code >= 50000 && frame.error.code < 60000) internal.push(frame.error.code);
      }
    });
    await new Promise<void>((resolve) => {
      ws.once('message', () => resolve());
      ws.once('close', () => resolve());
    });
    return ws;
  };
  for (const [payload, binary] of payloads) {
    if (!socket || socket.readyState !== WebSocket.OPEN) socket = await open();
    if (socket.readyState !== WebSocket.OPEN) continue;
    socket.send(payload, { binary });
    // Let the server answer, so a fatal frame's close is noticed before the next send.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  socket?.close();
  return { errors, sockets, internal };
}

describe('raw WebSocket fuzz', () => {
  it('thousands of adversarial frames: the server stays up, answers with errors, memory stays bounded, SDK clients carry on', async (t) => {
    const log: string[] = [];
    const s = await startServer(t, {
      maxFrameSize: MAX_FRAME,
      maxMessageSize: MAX_FRAME / 2,
      maxInboundRate: 100_000,
      log: (m) => log.push(m),
    });
    const member = s.realtime({ clientId: 'steady' });
    const watcher = s.realtime({ protocol: 'json' });
    const shared = member.channels.get('shared');
    await shared.presence.enter('present');
    const seen = new Collector<Ably.Message>();
    await watcher.channels.get('shared').subscribe((m) => seen.push(m));

    gc();
    const before = process.memoryUsage().heapUsed;
    let totalErrors = 0;
    for (const protocol of ['json', 'msgpack'] as const) {
      const payloads = fc.sample(adversarial(protocol), { numRuns: FRAMES_PER_FORMAT, seed: 42 });
      const { errors, sockets, internal } = await bombard(s.port, protocol, payloads);
      totalErrors += errors;
      assert.ok(sockets >= 1);
      assert.deepEqual(internal, [], `${protocol}: no 5xxxx answers`);
    }
    assert.ok(totalErrors > 100, `the server answered with errors (${totalErrors})`);

    // The SDK clients beside the storm still work, and the member never left.
    await shared.publish('after', 'storm');
    await seen.until((items) => items.some((m) => m.data === 'storm'));
    const members = await s.rest().channels.get('shared').presence.get();
    assert.deepEqual(
      members.items.map((m) => m.clientId),
      ['steady'],
    );
    const health = await fetch(`http://127.0.0.1:${s.port}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(
      log.filter((m) => m.startsWith('internal error')),
      [],
    );

    // Connections closed by the server have been freed; heap growth stays within a generous bound.
    await new Promise<void>((resolve) => setImmediate(resolve));
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${(grown / 1048576).toFixed(1)} MB`);
    t.diagnostic(
      `heap growth ${(grown / 1048576).toFixed(1)} MB, ${totalErrors} error answers, ${s.server.node.connections.size} connections left`,
    );
  });
});
