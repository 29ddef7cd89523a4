/**
 * A small VCDIFF encoder (RFC 3284): `target` as a delta against `source`, in the subset every decoder reads (and
 * the one Ably's SDKs use, @ably/vcdiff-decoder, reads): no secondary compression, no custom code table, no
 * application header, one window whose source segment is all of `source`, the default code table used one
 * instruction per code, and COPY addresses in VCD_SELF or VCD_HERE mode only (so the decoder's address caches,
 * which it keeps anyway, are never relied on). Matches are found with a hash chain over 4-byte prefixes of the
 * source and of the target written so far, so repeats inside the target are copied too.
 *
 * No encoder of this format is published on npm (only decoders); this one is written from the RFC.
 */

/** The shortest COPY worth its instruction and address. */
const MIN_MATCH = 4;
/** Candidates looked at per position: enough for message-sized payloads, and a bound on the work per byte. */
const MAX_CHAIN = 16;
const HASH_BITS = 15;

// RFC 3284 §4.1 header: "VCD" with the high bits set, version 0, and a Hdr_Indicator of 0.
const HEADER = [0xd6, 0xc3, 0xc4, 0x00, 0x00];
const VCD_SOURCE = 0x01;
// Default code table (§5.6): index 1 is ADD with its size in the instructions, 2..18 ADD of 1..17 bytes; for COPY
// mode m, 19 + 16m has the size in the instructions and 19 + 16m + (size - 3) encodes sizes 4..18 directly.
const ADD_SIZED = 1;
const copyCode = (mode: number): number => 19 + 16 * mode;
const MODE_SELF = 0;
const MODE_HERE = 1;

/** Bytes appended one by one or in runs; grows by doubling. */
class ByteSink {
  private buf = Buffer.allocUnsafe(64);
  length = 0;

  push(byte: number): void {
    this.reserve(1);
    this.buf[this.length++] = byte;
  }

  /** An RFC 3284 integer (§2): base 128, most significant digit first, the high bit set on all but the last. */
  varint(value: number): void {
    let digits = 1;
    for (let v = value; v >= 128; v = Math.floor(v / 128)) digits++;
    this.reserve(digits);
    let v = value;
    for (let i = digits - 1; i >= 0; i--) {
      this.buf[this.length + i] = (v % 128) | (i === digits - 1 ? 0 : 0x80);
      v = Math.floor(v / 128);
    }
    this.length += digits;
  }

  bytes(from: Uint8Array, start = 0, end = from.length): void {
    this.reserve(end - start);
    this.buf.set(from.subarray(start, end), this.length);
    this.length += end - start;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

/** How many bytes `value` takes as an RFC 3284 integer. */
function varintLength(value: number): number {
  let n = 1;
  for (let v = value; v >= 128; v = Math.floor(v / 128)) n++;
  return n;
}

/** Encodes `target` as a VCDIFF delta against `source`. Decoding it with `source` gives `target` back exactly. */
export function encodeVcdiff(source: Uint8Array, target: Uint8Array): Buffer {
  const data = new ByteSink();
  const instructions = new ByteSink();
  const addresses = new ByteSink();
  const sourceLength = source.length;
  // Positions in the address space U (§5.1): the source segment, then the target as decoded so far.
  const at = (u: number): number => (u < sourceLength ? (source[u] as number) : (target[u - sourceLength] as number));
  const hashAt = (u: number): number =>
    Math.imul((at(u) << 24) | (at(u + 1) << 16) | (at(u + 2) << 8) | at(u + 3), 0x9e3779b1) >>> (32 - HASH_BITS);
  const head = new Int32Array(1 << HASH_BITS).fill(-1);
  const previous = new Int32Array(sourceLength + target.length);
  const insert = (u: number): void => {
    const h = hashAt(u);
    previous[u] = head[h] as number;
    head[h] = u;
  };
  // A source match may not run past the source's end (the RFC leaves crossing into the target to decoders).
  for (let u = 0; u + MIN_MATCH <= sourceLength; u++) insert(u);

  let pendingAdd = 0;
  const flushAdd = (end: number): void => {
    if (pendingAdd === 0) return;
    if (pendingAdd <= 17) instructions.push(ADD_SIZED + pendingAdd);
    else {
      instructions.push(ADD_SIZED);
      instructions.varint(pendingAdd);
    }
    data.bytes(target, end - pendingAdd, end);
    pendingAdd = 0;
  };

  let p = 0;
  while (p < target.length) {
    let bestLength = 0;
    let bestAddress = 0;
    if (p + MIN_MATCH <= target.length) {
      const here = sourceLength + p;
      let candidate = head[hashAt(here)] as number;
      for (let chain = 0; candidate >= 0 && chain < MAX_CHAIN; chain++, candidate = previous[candidate] as number) {
        // From the source: up to its end. From the target: may overlap what it produces (decoded byte by byte).
        const limit = candidate < sourceLength ? Math.min(sourceLength - candidate, target.length - p) : target.length - p;
        let length = 0;
        while (length < limit && at(candidate + length) === target[p + length]) length++;
        if (length > bestLength) {
          bestLength = length;
          bestAddress = candidate;
          if (length === limit) break;
        }
      }
    }
    if (bestLength < MIN_MATCH) {
      if (p + MIN_MATCH <= target.length) insert(sourceLength + p);
      pendingAdd++;
      p++;
      continue;
    }
    flushAdd(p);
    const here = sourceLength + p;
    const mode = varintLength(here - bestAddress) < varintLength(bestAddress) ? MODE_HERE : MODE_SELF;
    if (bestLength <= 18) instructions.push(copyCode(mode) + bestLength - 3);
    else {
      instructions.push(copyCode(mode));
      instructions.varint(bestLength);
    }
    addresses.varint(mode === MODE_HERE ? here - bestAddress : bestAddress);
    for (let k = 0; k < bestLength; k++) if (p + k + MIN_MATCH <= target.length) insert(sourceLength + p + k);
    p += bestLength;
  }
  flushAdd(p);

  // §4.3 the delta encoding: target window length, Delta_Indicator, the three section lengths, then the sections.
  const window = new ByteSink();
  window.varint(target.length);
  window.push(0);
  window.varint(data.length);
  window.varint(instructions.length);
  window.varint(addresses.length);
  window.bytes(data.view());
  window.bytes(instructions.view());
  window.bytes(addresses.view());

  const out = new ByteSink();
  for (const byte of HEADER) out.push(byte);
  // §4.2 window header: Win_Indicator, then the source segment (all of the source, from 0) when there is one.
  if (sourceLength > 0) {
    out.push(VCD_SOURCE);
    out.varint(sourceLength);
    out.varint(0);
  } else out.push(0);
  out.varint(window.length);
  out.bytes(window.view());
  return Buffer.from(out.view());
}
