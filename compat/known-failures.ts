import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** One group of allowed failures sharing a reason a user would accept (a non-goal, or an open issue). */
export interface KnownFailureGroup {
  reason: string;
  /**
   * The tests fail only sometimes, for a reason outside the server (e.g. client-side timer checks on a loaded
   * machine): the gate accepts them passing or failing. Everything else must fail, or be removed from the list.
   */
  flaky?: boolean;
  tests: string[];
}

/** What the list says about one test. */
export interface KnownFailure {
  reason: string;
  flaky: boolean;
}

/**
 * Reads a known-failures file: a YAML list of `{reason, tests: ["file::full title", ...]}`. Every test needs a
 * reason and may be listed once; throws naming the problem otherwise.
 */
export function loadKnownFailures(path: string): Map<string, KnownFailure> {
  const doc: unknown = parse(readFileSync(path, 'utf8')) ?? [];
  if (!Array.isArray(doc)) throw new Error(`${path}: expected a list of {reason, tests}`);
  const byId = new Map<string, KnownFailure>();
  for (const [i, group] of doc.entries()) {
    const g = group as Partial<KnownFailureGroup>;
    if (typeof g.reason !== 'string' || g.reason.trim() === '') throw new Error(`${path}: entry ${i} has no reason`);
    if (!Array.isArray(g.tests)) throw new Error(`${path}: entry ${i} (${g.reason}) has no tests list`);
    if (g.flaky !== undefined && typeof g.flaky !== 'boolean')
      throw new Error(`${path}: entry ${i}: flaky must be true or false`);
    for (const id of g.tests) {
      if (typeof id !== 'string' || !id.includes('::')) throw new Error(`${path}: "${id}" is not a file::title id`);
      if (byId.has(id)) throw new Error(`${path}: "${id}" is listed twice`);
      byId.set(id, { reason: g.reason, flaky: g.flaky === true });
    }
  }
  return byId;
}
