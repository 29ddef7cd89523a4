import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** One group of allowed failures sharing a reason a user would accept (a non-goal, or an open issue). */
export interface KnownFailureGroup {
  reason: string;
  tests: string[];
}

/**
 * Reads a known-failures file: a YAML list of `{reason, tests: ["file::full title", ...]}`. Every test needs a
 * reason and may be listed once; throws naming the problem otherwise.
 */
export function loadKnownFailures(path: string): Map<string, string> {
  const doc: unknown = parse(readFileSync(path, 'utf8')) ?? [];
  if (!Array.isArray(doc)) throw new Error(`${path}: expected a list of {reason, tests}`);
  const byId = new Map<string, string>();
  for (const [i, group] of doc.entries()) {
    const g = group as Partial<KnownFailureGroup>;
    if (typeof g.reason !== 'string' || g.reason.trim() === '') throw new Error(`${path}: entry ${i} has no reason`);
    if (!Array.isArray(g.tests)) throw new Error(`${path}: entry ${i} (${g.reason}) has no tests list`);
    for (const id of g.tests) {
      if (typeof id !== 'string' || !id.includes('::')) throw new Error(`${path}: "${id}" is not a file::title id`);
      if (byId.has(id)) throw new Error(`${path}: "${id}" is listed twice`);
      byId.set(id, g.reason);
    }
  }
  return byId;
}
