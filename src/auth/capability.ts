/** An Ably capability: resource pattern → operations. */
export type Capability = Record<string, string[]>;

export type Operation =
  | 'publish'
  | 'subscribe'
  | 'presence'
  | 'history'
  | 'channel-metadata'
  | 'message-update-own'
  | 'message-update-any'
  | 'message-delete-own'
  | 'message-delete-any'
  | 'annotation-publish'
  | 'annotation-subscribe';

export const ALL_CAPABILITY: Capability = { '*': ['*'] };

/**
 * Ably's resource matching: `*` matches every channel that is not a `[meta]` channel, a trailing `*` matches any
 * suffix (`chat:*` covers the `chat` namespace), `[*]` in front matches any qualifier or none, anything else matches exactly.
 */
export function resourceMatches(pattern: string, channel: string): boolean {
  // `[*]x` covers channels named like `x` with any qualifier (`[meta]`, `[filter=…]`) or none (ably-js's suite
  // attaches both `[filter=…]chan` and `chan` with a `[*]*` key).
  if (pattern.startsWith('[*]')) {
    const close = channel.startsWith('[') ? channel.indexOf(']') : -1;
    return resourceMatches(pattern.slice(3), close > 0 ? channel.slice(close + 1) : channel);
  }
  if (pattern === '*') return !channel.startsWith('[');
  if (pattern.endsWith('*')) return channel.startsWith(pattern.slice(0, -1));
  return pattern === channel;
}

/** Whether the capability grants `op` on `channel`. Publish and presence are never granted on `[meta]` channels. */
export function allows(capability: Capability, channel: string, op: Operation): boolean {
  // Metachannels carry what the server says (client transitions on `[meta]clients`): nobody may publish or enter
  // there, whatever the capability, so an agent can trust what it reads.
  if ((op === 'publish' || op === 'presence') && channel.startsWith('[meta]')) return false;
  for (const [pattern, ops] of Object.entries(capability)) {
    if (resourceMatches(pattern, channel) && (ops.includes('*') || ops.includes(op))) return true;
  }
  return false;
}

/** Operations that concern the whole app rather than a channel. */
export type AppOperation = 'statistics';

/**
 * Whether the capability grants an app-level operation (`statistics` for `GET /stats`). The resource means nothing
 * for such an operation, so naming it under any resource grants it; a bare `*` grants it only on a resource that
 * covers every channel (`*`, `[*]*`), so a token with everything on one channel does not read the app's stats.
 */
export function allowsApp(capability: Capability, op: AppOperation): boolean {
  for (const [pattern, ops] of Object.entries(capability)) {
    if (ops.includes(op)) return true;
    if (ops.includes('*') && (pattern === '*' || pattern === '[*]*')) return true;
  }
  return false;
}

/** Parses and checks a capability JSON string or object. Returns undefined when malformed. */
export function parseCapability(value: unknown): Capability | undefined {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const out: Capability = {};
  for (const [k, ops] of Object.entries(v)) {
    if (!Array.isArray(ops) || !ops.every((o) => typeof o === 'string')) return undefined;
    out[k] = [...ops].sort();
  }
  return out;
}
