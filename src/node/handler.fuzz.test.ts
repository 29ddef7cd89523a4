import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { RecordingTransport } from '../../test/helpers/recording-transport.ts';
import { resolveConfig } from '../config/index.ts';
import type { TransportEvents } from '../connection/transport.ts';
import { textLogger } from '../observability/logger.ts';
import { jsonCodec, msgpackCodec } from '../protocol/index.ts';
import { MemoryBroker } from '../store/memory/memory-broker.ts';
import { MemoryHistoryStore } from '../store/memory/memory-history-store.ts';
import { MemoryPresenceStore } from '../store/memory/memory-presence-store.ts';
import { ManualClock } from '../time/manual-clock.ts';
import { Node } from './node.ts';

const KEY = 'fuzz.key:fuzz-secret';
const packr = new Packr({ useRecords: false });

function makeNode(log: string[]): Node {
  const clock = new ManualClock();
  const config = resolveConfig({ keys: [{ key: KEY }], maxInboundRate: 100_000, maxMembersPerChannel: 50 });
  const history = new MemoryHistoryStore(clock, { maxAge: config.historyMaxAge, maxPerChannel: config.historyMaxPerChannel });
  return new Node({
    config,
    clock,
    logger: textLogger((line) => log.push(line)),
    presenceStore: new MemoryPresenceStore(),
    broker: new MemoryBroker(history),
    history,
  });
}

/** Lets queued promise chains (auth, per-connection inbound queue) run to completion. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

const channel = fc.constantFrom('a', 'b', 'room', '', 'x'.repeat(3000), '[meta]x');
const clientId = fc.oneof(fc.constantFrom('u1', 'u2', '*', ''), fc.string({ maxLength: 8 }));
const data = fc.oneof(fc.string({ maxLength: 20 }), fc.constant(null), fc.integer(), fc.object({ maxDepth: 3 }));
const presenceItem = fc.record(
  { action: fc.integer({ min: -1, max: 6 }), clientId, data, id: fc.string({ maxLength: 10 }), extras: fc.anything() },
  { requiredKeys: ['action'] },
);
const messageItem = fc.record(
  { name: fc.string({ maxLength: 10 }), data, clientId, extras: fc.anything() },
  { requiredKeys: [] },
);
/** Protocol messages a client could send, many of them malformed; CLOSE and DISCONNECT rarely. */
const frame = fc.record(
  {
    action: fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(0, 10, 12, 14, 15, 16, 17, 3, 99) },
      { weight: 1, arbitrary: fc.constantFrom(5, 7) },
    ),
    channel,
    msgSerial: fc.oneof(fc.nat(50), fc.constant(-1)),
    flags: fc.nat(),
    channelSerial: fc.string({ maxLength: 12 }),
    messages: fc.array(messageItem, { maxLength: 3 }),
    presence: fc.array(presenceItem, { maxLength: 3 }),
    auth: fc.record({ accessToken: fc.string({ maxLength: 30 }) }),
    params: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
    id: fc.string({ maxLength: 5 }),
  },
  { requiredKeys: ['action'] },
);
const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.string().map((s) => Buffer.from(s)),
);

describe('protocol handler fuzz (Node driven through a recording Transport)', () => {
  for (const format of ['json', 'msgpack'] as const) {
    const codec = format === 'json' ? jsonCodec : msgpackCodec;
    it(`${format}: random frame sequences never raise internal errors and every reply is a valid frame`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof({ weight: 5, arbitrary: frame }, { weight: 1, arbitrary: garbage }), { maxLength: 25 }),
          async (frames) => {
            const log: string[] = [];
            const node = makeNode(log);
            const transport = new RecordingTransport();
            const events: TransportEvents = node.open(transport, new URLSearchParams({ key: KEY, format, clientId: 'u1' }));
            for (const f of frames) {
              const bytes = Buffer.isBuffer(f) ? f : format === 'json' ? Buffer.from(JSON.stringify(f)) : packr.pack(f);
              events.onFrame(bytes, format === 'msgpack');
            }
            await settle();
            events.onClose();
            await settle();
            node.shutdown();
            assert.deepEqual(
              log.filter((m) => m.startsWith('internal error')),
              [],
            );
            // What the server sent must decode with its own codec (it is what the SDK will parse).
            for (const sent of transport.sent) codec.decode(Buffer.from(sent), format === 'msgpack');
            assert.ok(transport.sent.length >= 1);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});
