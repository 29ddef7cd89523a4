/** The compatibility report: one entry per test of an SDK suite, run file by file against the Rollcall sandbox. */
export type Verdict = 'pass' | 'fail' | 'skip';

export interface TestResult {
  /** `file::full title`, the key the known-failures list uses. */
  id: string;
  file: string;
  title: string;
  verdict: Verdict;
  durationMs: number;
  error?: string;
}

export interface FileResult {
  file: string;
  pass: number;
  fail: number;
  skip: number;
  durationMs: number;
  exitCode: number | null;
  /** The file hit the runner's per-file time limit and was killed; results it reached are kept. */
  timedOut: boolean;
}

export interface Totals {
  pass: number;
  fail: number;
  skip: number;
}

export interface CompatReport {
  sdk: { name: string; version: string; build: string };
  startedAt: string;
  durationMs: number;
  env: Record<string, string>;
  totals: Totals;
  files: FileResult[];
  tests: TestResult[];
}

export function totalsOf(tests: TestResult[]): Totals {
  const totals = { pass: 0, fail: 0, skip: 0 };
  for (const t of tests) totals[t.verdict]++;
  return totals;
}
