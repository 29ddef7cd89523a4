// Prints a compatibility report as the markdown table docs/compatibility.md carries (test tooling).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompatReport } from './report.ts';

const path = process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), 'reports', 'ably-js.json');
const report = JSON.parse(readFileSync(path, 'utf8')) as CompatReport;
const rows = report.files.map(
  (f) =>
    `| ${f.file.replace(/^test\//, '')} | ${f.pass} | ${f.fail} | ${f.skip} | ${(f.durationMs / 1000).toFixed(1)}${f.timedOut ? ' (killed)' : ''} |`,
);
const { pass, fail, skip } = report.totals;
console.log(
  `${report.sdk.name} ${report.sdk.version} (${report.sdk.build}), started ${report.startedAt}, ${(report.durationMs / 60_000).toFixed(1)} min\n`,
);
console.log(
  [
    '| file | pass | fail | skip | seconds |',
    '|---|---:|---:|---:|---:|',
    ...rows,
    `| **total** | **${pass}** | **${fail}** | **${skip}** | |`,
  ].join('\n'),
);
