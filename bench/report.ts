import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { BenchOptions, Row } from './context.ts';

const COLUMNS: Array<[keyof Row, string]> = [
  ['scenario', 'scenario'],
  ['size', 'size'],
  ['result', 'result'],
  ['target', 'target'],
  ['server', 'server CPU, RSS'],
  ['load', 'load-gen CPU'],
];

/** The results as a plain-text table for stdout. */
export function textTable(rows: Row[]): string {
  const cells = rows.map((r) => COLUMNS.map(([k]) => String(r[k] ?? '')));
  const widths = COLUMNS.map(([, h], i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) => c.map((s, i) => s.padEnd(widths[i] as number)).join(' | ');
  return [line(COLUMNS.map(([, h]) => h)), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}

/** The results as a Markdown table. */
export function markdownTable(rows: Row[]): string {
  const esc = (s: string) => s.replaceAll('|', '\\|');
  return [
    `| ${COLUMNS.map(([, h]) => h).join(' | ')} |`,
    `|${COLUMNS.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${COLUMNS.map(([k]) => esc(String(r[k] ?? ''))).join(' | ')} |`),
  ].join('\n');
}

/** nproc, CPU model, node version, pinning: what a reader needs to compare numbers. */
export function machine(options: BenchOptions): string {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {}
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {}
  let load = '';
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {}
  const pin = options.serverCpu === undefined ? 'server unpinned' : `server pinned to CPU ${options.serverCpu} (taskset)`;
  return `nproc ${nproc}, CPU ${model}, node ${process.version}, format ${options.format}, ${pin}, load average at start ${load}`;
}
