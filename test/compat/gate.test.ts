import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { judge } from '../../compat/gate.ts';
import { loadKnownFailures } from '../../compat/known-failures.ts';
import { type CompatReport, type TestResult, totalsOf } from '../../compat/report.ts';

function report(tests: Array<Pick<TestResult, 'id' | 'verdict'>>, files: string[]): CompatReport {
  const full = tests.map((t) => ({
    ...t,
    file: t.id.split('::')[0] as string,
    title: t.id.split('::')[1] as string,
    durationMs: 1,
  }));
  return {
    sdk: { name: 'ably-js', version: '0.0.0', build: 'npm' },
    startedAt: '',
    durationMs: 0,
    env: {},
    totals: totalsOf(full),
    files: files.map((file) => ({ file, pass: 0, fail: 0, skip: 0, durationMs: 0, exitCode: 0, timedOut: false })),
    tests: full,
  };
}

function knownFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rollcall-gate-')), 'known.yaml');
  writeFileSync(path, text);
  return path;
}

test('the gate flags unlisted failures and listed tests that pass (unless flaky), and ignores files not run', () => {
  const known = loadKnownFailures(
    knownFile(
      '- reason: not yet\n  tests:\n    - "a.js::still fails"\n    - "a.js::fixed now"\n    - "a.js::renamed"\n    - "b.js::x"\n' +
        '- reason: timing\n  flaky: true\n  tests:\n    - "a.js::sometimes"\n',
    ),
  );
  const r = report(
    [
      { id: 'a.js::still fails', verdict: 'fail' },
      { id: 'a.js::fixed now', verdict: 'pass' },
      { id: 'a.js::new failure', verdict: 'fail' },
      { id: 'a.js::fine', verdict: 'pass' },
      { id: 'a.js::skipped', verdict: 'skip' },
      { id: 'a.js::sometimes', verdict: 'pass' },
    ],
    ['a.js'],
  );
  assert.deepEqual(judge(r, known), {
    unexpected: ['a.js::new failure'],
    nowPassing: ['a.js::fixed now'],
    notSeen: ['a.js::renamed'],
  });
});

test('a known-failures entry needs a reason, file::title ids, and no duplicates', () => {
  assert.throws(() => loadKnownFailures(knownFile('- tests: ["a.js::t"]\n')), /has no reason/);
  assert.throws(() => loadKnownFailures(knownFile('- reason: r\n  tests: ["no separator"]\n')), /not a file::title id/);
  assert.throws(
    () => loadKnownFailures(knownFile('- reason: r\n  tests: ["a.js::t"]\n- reason: s\n  tests: ["a.js::t"]\n')),
    /twice/,
  );
});
