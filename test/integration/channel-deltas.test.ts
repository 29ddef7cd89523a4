import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decode } from '@ably/vcdiff-decoder';
import type * as Ably from 'ably';
import { Collector, PROTOCOLS, startServer } from '../helpers/server.ts';

/**
 * The SDK's vcdiff plugin slot, filled with Ably's decoder; counts the deltas it decodes and keeps what they
 * decoded to (as text), and can fail on purpose.
 */
function countingDecoder(failOnCall?: number) {
  const plugin = {
    calls: 0,
    decoded: [] as string[],
    decode(delta: Uint8Array, base: Uint8Array): Uint8Array {
      plugin.calls++;
      if (plugin.calls === failOnCall) throw new Error('decode failure on purpose');
      const out = decode(delta, base);
      plugin.decoded.push(Buffer.from(out).toString('utf8'));
      return out;
    },
  };
  return plugin;
}

/** The payload as the text a delta of it decodes to (objects travel as JSON text). */
const asText = (data: unknown): string =>
  typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : JSON.stringify(data);

/**
 * Each payload a small change of the one before, except where the kind changes (JSON, then text, then bytes):
 * there the previous payload has nothing in common with it, a delta would be no smaller, and it goes whole.
 */
const PAYLOADS: unknown[] = [
  { foo: 'bar', count: 1, status: 'active', note: 'a payload long enough that a delta pays off' },
  { foo: 'bar', count: 2, status: 'active', note: 'a payload long enough that a delta pays off' },
  { foo: 'bar', count: 2, status: 'inactive', note: 'a payload long enough that a delta pays off' },
  'plain text that changes only at the very end: one',
  'plain text that changes only at the very end: two',
  Buffer.from('raw bytes, also long enough to be sent as a delta: 0001'),
  Buffer.from('raw bytes, also long enough to be sent as a delta: 0002'),
];

const same = (a: unknown, b: unknown) =>
  Buffer.isBuffer(b) ? Buffer.from(a as Uint8Array).equals(b) : JSON.stringify(a) === JSON.stringify(b);

describe('delta=vcdiff: messages as VCDIFF deltas against the previous one (SDK with @ably/vcdiff-decoder)', () => {
  for (const protocol of PROTOCOLS) {
    test(`a subscriber gets every payload exactly as published, all but whole ones as deltas (${protocol})`, async (t) => {
      const s = await startServer(t);
      const decoder = countingDecoder();
      const channel = s.realtime({ protocol, plugins: { vcdiff: decoder } }).channels.get('d1', { params: { delta: 'vcdiff' } });
      const plain = s.realtime({ protocol }).channels.get('d1');
      const got = new Collector<Ably.Message>();
      const plainGot = new Collector<Ably.Message>();
      await channel.subscribe(got.push);
      await plain.subscribe(plainGot.push);
      const publisher = s.rest({ protocol }).channels.get('d1');
      for (const [i, data] of PAYLOADS.entries()) await publisher.publish(String(i), data);
      // Two in one publish: the second is a delta against the first, inside one ProtocolMessage.
      await publisher.publish([
        { name: 'batch-0', data: 'raw bytes, also long enough to be sent as a delta: 0003' },
        { name: 'batch-1', data: 'raw bytes, also long enough to be sent as a delta: 0004' },
      ]);
      await got.count(PAYLOADS.length + 2);
      await plainGot.count(PAYLOADS.length + 2);
      for (const [i, data] of PAYLOADS.entries()) {
        assert.ok(same(got.items[i]?.data, data), `message ${i}`);
        assert.ok(same(plainGot.items[i]?.data, data), `message ${i} without deltas`);
      }
      assert.deepEqual(
        got.items.slice(-2).map((m) => m.data),
        ['raw bytes, also long enough to be sent as a delta: 0003', 'raw bytes, also long enough to be sent as a delta: 0004'],
      );
      // Deltas against the previous payload's bytes whatever its type: the batch's first (text) follows bytes.
      assert.deepEqual(decoder.decoded, [
        ...[1, 2, 4, 6].map((i) => asText(PAYLOADS[i])),
        'raw bytes, also long enough to be sent as a delta: 0003',
        'raw bytes, also long enough to be sent as a delta: 0004',
      ]);
    });

    test(`without the param nothing is a delta; without a decoder the channel fails with 40019 (${protocol})`, async (t) => {
      const s = await startServer(t);
      const decoder = countingDecoder();
      const undelta = s.realtime({ protocol, plugins: { vcdiff: decoder } }).channels.get('d2');
      const noPlugin = s.realtime({ protocol }).channels.get('d2', { params: { delta: 'vcdiff' } });
      const got = new Collector<Ably.Message>();
      await undelta.subscribe(got.push);
      await noPlugin.attach();
      const failed = new Promise<Ably.ChannelStateChange>((resolve) => noPlugin.once('failed', resolve));
      const publisher = s.rest({ protocol }).channels.get('d2');
      for (const [i, data] of PAYLOADS.slice(0, 3).entries()) await publisher.publish(String(i), data);
      await got.count(3);
      assert.equal(decoder.calls, 0);
      assert.equal((await failed).reason?.code, 40019);
    });

    test(`a delta the client cannot decode: it re-attaches (40018) and gets the rest whole first, then deltas (${protocol})`, async (t) => {
      const s = await startServer(t);
      // The second delta fails; the SDK drops that message and re-attaches from the last one it processed (RTL18).
      const decoder = countingDecoder(2);
      const channel = s.realtime({ protocol, plugins: { vcdiff: decoder } }).channels.get('d3', { params: { delta: 'vcdiff' } });
      const got = new Collector<Ably.Message>();
      await channel.subscribe(got.push);
      const reattached = new Promise<Ably.ChannelStateChange>((resolve) => channel.once('attaching', resolve));
      const publisher = s.rest({ protocol }).channels.get('d3');
      for (const [i, data] of PAYLOADS.slice(0, 3).entries()) await publisher.publish(String(i), data);
      assert.equal((await reattached).reason?.code, 40018);
      for (const [i, data] of PAYLOADS.slice(3).entries()) await publisher.publish(String(i + 3), data);
      await got.count(PAYLOADS.length);
      assert.deepEqual(
        got.items.map((m) => m.name),
        PAYLOADS.map((_, i) => String(i)),
        'each message once, in order: the dropped one came again',
      );
      for (const [i, data] of PAYLOADS.entries()) assert.ok(same(got.items[i]?.data, data), `message ${i}`);
      // Message 1 decoded, message 2 failed, then message 2 again whole, and after it 4 and 6 as deltas (3 and 5
      // change kind and go whole).
      assert.equal(decoder.calls, 4);
      assert.deepEqual(
        decoder.decoded,
        [1, 4, 6].map((i) => asText(PAYLOADS[i])),
      );
    });
  }
});
