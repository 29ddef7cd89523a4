import type { Capability } from './capability.ts';

/** The prefix a trailing-wildcard resource covers (`chat:*` → `chat:`), or undefined for an exact channel name. */
function globPrefix(resource: string): string | undefined {
  return resource.endsWith('*') ? resource.slice(0, -1) : undefined;
}

/**
 * The resource pattern matching exactly the channels both `a` and `b` match (Ably glob rules, as in
 * `resourceMatches`), or undefined when they share none. Two trailing-wildcard patterns overlap only when one
 * prefix extends the other; the bare `*` never covers `[`-qualified (meta) channels.
 */
export function intersectResource(a: string, b: string): string | undefined {
  const pa = globPrefix(a);
  const pb = globPrefix(b);
  if (pa === undefined) return covers(b, a) ? a : undefined;
  if (pb === undefined) return covers(a, b) ? b : undefined;
  const [wide, narrow] = pa.length <= pb.length ? [a, b] : [b, a];
  return covers(wide, narrow.slice(0, -1)) ? narrow : undefined;
}

/** Whether glob-or-exact `pattern` matches the literal name (or prefix) `name`. */
function covers(pattern: string, name: string): boolean {
  if (pattern === '*') return !name.startsWith('[');
  const prefix = globPrefix(pattern);
  return prefix === undefined ? pattern === name : name.startsWith(prefix);
}

function intersectOps(a: string[], b: string[]): string[] {
  if (a.includes('*')) return [...b];
  if (b.includes('*')) return [...a];
  return a.filter((op) => b.includes(op));
}

/**
 * The capability granting an operation on a channel exactly when both `a` and `b` grant it: what a token gets
 * from the capability it asked for and the one its key holds (Ably TokenRequest rules). Pure; the result has
 * sorted resources and sorted, de-duplicated operations, and is `{}` when nothing overlaps.
 */
export function intersectCapabilities(a: Capability, b: Capability): Capability {
  const out: Record<string, Set<string>> = {};
  for (const [ra, opsA] of Object.entries(a)) {
    for (const [rb, opsB] of Object.entries(b)) {
      const resource = intersectResource(ra, rb);
      if (resource === undefined) continue;
      const ops = intersectOps(opsA, opsB);
      if (ops.length === 0) continue;
      const set = (out[resource] ??= new Set());
      for (const op of ops) set.add(op);
    }
  }
  const result: Capability = {};
  for (const resource of Object.keys(out).sort()) {
    const ops = [...(out[resource] as Set<string>)].sort();
    result[resource] = ops.includes('*') ? ['*'] : ops;
  }
  return result;
}
