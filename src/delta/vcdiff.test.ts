import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from '@ably/vcdiff-decoder';
import { prng } from '../../test/helpers/prng.ts';
import { encodeVcdiff } from './vcdiff.ts';

// Every delta is checked by the decoder Ably's SDKs use, not by a decoder of our own.
const roundTrip = (source: Uint8Array, target: Uint8Array): Buffer => {
  const delta = encodeVcdiff(source, target);
  assert.deepEqual(Buffer.from(decode(delta, source)), Buffer.from(target));
  return delta;
};
const utf8 = (s: string) => Buffer.from(s, 'utf8');

test('a small change to a JSON payload is a small delta', () => {
  const source = utf8(JSON.stringify({ foo: 'bar', count: 1, status: 'active', note: 'the quick brown fox jumps' }));
  const target = utf8(JSON.stringify({ foo: 'bar', count: 2, status: 'active', note: 'the quick brown fox jumps' }));
  const delta = roundTrip(source, target);
  assert.ok(delta.length < target.length / 2, `delta ${delta.length} bytes for a ${target.length}-byte target`);
});

test('empty source, empty target, no common bytes, and repeats within the target', () => {
  roundTrip(new Uint8Array(0), utf8('no source at all, so everything is added'));
  roundTrip(utf8('something'), new Uint8Array(0));
  roundTrip(utf8('abcdefgh'), utf8('12345678'));
  const repeated = roundTrip(utf8('x'), utf8('abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc'));
  assert.ok(repeated.length < 30, 'a repeat inside the target is copied from the target');
  // Long matches and long adds take their sizes from the instructions section (beyond the code table's sizes).
  const long = Buffer.alloc(5000, 'a');
  roundTrip(long, Buffer.concat([utf8('head'), long, Buffer.alloc(300, 7)]));
});

test('random edits of random payloads round-trip (seeded; ROLLCALL_VCDIFF_SEED replays a run)', () => {
  const seed = Number(process.env.ROLLCALL_VCDIFF_SEED ?? 12);
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  for (let run = 0; run < 300; run++) {
    const alphabet = 1 + int(255);
    const source = Buffer.from(Array.from({ length: int(3000) }, () => int(alphabet)));
    const pieces: Buffer[] = [];
    for (let i = int(12); i > 0; i--) {
      const start = int(source.length + 1);
      pieces.push(
        random() < 0.6 ? source.subarray(start, start + int(400)) : Buffer.from(Array.from({ length: int(60) }, () => int(256))),
      );
    }
    try {
      roundTrip(source, Buffer.concat(pieces));
    } catch (err) {
      throw new Error(`seed ${seed}, run ${run}: ${(err as Error).message}`);
    }
  }
});

test('sizes are written as RFC 3284 integers, so payloads past 2^14 bytes decode', () => {
  const random = prng(7);
  const source = Buffer.from(Array.from({ length: 70_000 }, () => Math.floor(random() * 256)));
  const target = Buffer.concat([source.subarray(0, 30_000), utf8('inserted'), source.subarray(30_000)]);
  const delta = roundTrip(source, target);
  assert.ok(delta.length < 100, `an insertion into 70 kB is a ${delta.length}-byte delta`);
});
