import { ErrorInfo } from '../errors/index.ts';
import { Flag } from '../protocol/index.ts';

/** Mode names as channel params and the SDK spell them (`params.modes=publish,subscribe`), with their flag bits. */
const MODE_BITS: Record<string, number> = {
  presence: Flag.PRESENCE,
  publish: Flag.PUBLISH,
  subscribe: Flag.SUBSCRIBE,
  presence_subscribe: Flag.PRESENCE_SUBSCRIBE,
  annotation_publish: Flag.ANNOTATION_PUBLISH,
  annotation_subscribe: Flag.ANNOTATION_SUBSCRIBE,
  object_subscribe: 1 << 24,
  object_publish: 1 << 25,
};

/** Params Ably acts on and echoes in ATTACHED (the SDK exposes them as `channel.params`); `occupancy` is echoed by
 * src/occupancy, which honours it. */
const ECHOED = ['modes', 'rewind', 'delta'] as const;

/** `rewind`: the last `count` messages, or those of the last `ms` milliseconds. */
export type Rewind = { count: number } | { ms: number };

export interface ChannelParams {
  /** Mode flags asked for by `params.modes`, which win over the ATTACH flags; undefined when not given. */
  modes?: number;
  rewind?: Rewind;
  /** The delta format asked for (`delta=vcdiff`); src/delta acts on the one it knows. */
  delta?: string;
  /** What ATTACHED carries back: the recognised params as the client sent them. */
  echoed: Record<string, string>;
}

const DURATION_UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };

function parseRewind(value: string, maxCount: number): Rewind {
  const count = /^\d+$/.test(value) ? Number(value) : undefined;
  if (count !== undefined) return { count: Math.min(count, maxCount) };
  const duration = /^(\d+)([smh])$/.exec(value);
  if (duration) return { ms: Number(duration[1]) * (DURATION_UNIT_MS[duration[2] as string] as number) };
  throw ErrorInfo.of('invalidParameter', `rewind must be a number of messages or a duration like 10s, got "${value}"`);
}

function parseModes(value: string): number {
  let bits = 0;
  for (const name of value.split(',')) {
    const bit = MODE_BITS[name.trim().toLowerCase()];
    if (bit === undefined) throw ErrorInfo.of('invalidParameter', `unknown channel mode "${name}"`);
    bits |= bit;
  }
  return bits;
}

/** Reads an ATTACH's `params` (Ably RTL4k). Throws 40003 for a malformed `modes` or `rewind`; other params pass. */
export function parseChannelParams(params: Record<string, string> | undefined, maxRewindMessages: number): ChannelParams {
  const out: ChannelParams = { echoed: {} };
  if (!params) return out;
  for (const name of ECHOED) {
    const value = params[name];
    if (value !== undefined) out.echoed[name] = String(value);
  }
  if (params.modes !== undefined) out.modes = parseModes(String(params.modes));
  if (params.rewind !== undefined) out.rewind = parseRewind(String(params.rewind), maxRewindMessages);
  if (params.delta !== undefined) out.delta = String(params.delta);
  return out;
}
