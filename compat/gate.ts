// Compatibility gate (test tooling): fails on any failing test not in the known-failures list, and on any listed
// test that now passes unless its group is marked flaky (so the list only ever shrinks). See docs/compatibility.md.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type KnownFailure, loadKnownFailures } from './known-failures.ts';
import type { CompatReport } from './report.ts';

/** What the gate found: failures nobody allowed, allowed failures that pass now, and listed tests not seen. */
export interface GateResult {
  unexpected: string[];
  nowPassing: string[];
  notSeen: string[];
}

/** Compares a report with the known failures. Listed tests of files that were not run are not judged. */
export function judge(report: CompatReport, known: Map<string, KnownFailure>): GateResult {
  const byId = new Map(report.tests.map((t) => [t.id, t]));
  const filesRun = new Set(report.files.map((f) => f.file));
  const unexpected = report.tests.filter((t) => t.verdict === 'fail' && !known.has(t.id)).map((t) => t.id);
  const nowPassing: string[] = [];
  const notSeen: string[] = [];
  for (const [id, entry] of known) {
    const file = id.slice(0, id.indexOf('::'));
    if (!filesRun.has(file)) continue;
    const test = byId.get(id);
    if (!test) notSeen.push(id);
    else if (test.verdict === 'pass' && !entry.flaky) nowPassing.push(id);
  }
  return { unexpected, nowPassing, notSeen };
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const { values } = parseArgs({
    options: {
      report: { type: 'string', default: join(here, 'reports', 'ably-js.json') },
      known: { type: 'string', default: join(here, 'known-failures', 'ably-js.yaml') },
    },
  });
  const report = JSON.parse(readFileSync(values.report, 'utf8')) as CompatReport;
  const known = loadKnownFailures(values.known);
  const { unexpected, nowPassing, notSeen } = judge(report, known);
  const errors = new Map(report.tests.map((t) => [t.id, t.error]));
  for (const id of unexpected) console.log(`FAIL (not in known failures): ${id}\n    ${(errors.get(id) ?? '').split('\n')[0]}`);
  for (const id of nowPassing) console.log(`PASSES NOW (remove from known failures): ${id}`);
  // A listed test that did not run at all (renamed, or its file stopped early) is reported but does not fail.
  for (const id of notSeen) console.log(`not run (listed as known failure): ${id}`);
  const { pass, fail, skip } = report.totals;
  console.log(
    `${report.sdk.name} ${report.sdk.version}: ${pass} pass, ${fail} fail (${fail - unexpected.length} known), ${skip} skip; ` +
      `${unexpected.length} unexpected failures, ${nowPassing.length} known failures now passing`,
  );
  process.exit(unexpected.length + nowPassing.length === 0 ? 0 : 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
