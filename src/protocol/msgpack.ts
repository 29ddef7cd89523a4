import { Packr, Unpackr } from 'msgpackr';

// int64AsType: the SDK writes timestamps as uint64, which msgpackr would otherwise return as BigInt (Ably §1.3).
const unpackr = new Unpackr({ mapsAsObjects: true, int64AsType: 'number', useRecords: false });
// skipValues: omit undefined fields as @ably/msgpack-js's "sparse" mode does, instead of msgpackr's undefined extension.
const packr = new Packr({ useRecords: false, skipValues: [undefined] } as ConstructorParameters<typeof Packr>[0]);

/** Encodes a value the way the Ably SDKs read msgpack (plain maps, no records, undefined fields left out). */
export const packMsgpack = (value: unknown): Buffer => packr.pack(value);

/** Decodes msgpack as the Ably SDKs write it (maps as objects, 64-bit integers as numbers). Throws on bad input. */
export const unpackMsgpack = (bytes: Buffer | Uint8Array): unknown => unpackr.unpack(bytes);
