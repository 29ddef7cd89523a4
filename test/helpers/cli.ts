import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Collector } from './server.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One line of the server's output, parsed: pino's `level` (30 info, 20 debug...), `time`, `msg` and fields. */
export interface LogRecord {
  level: number;
  time: number;
  msg: string;
  [field: string]: unknown;
}

export interface Cli {
  child: ChildProcess;
  /** Every stdout line as written. */
  lines: Collector<string>;
  stderr: () => string;
  exit: Promise<number | null>;
  /** Every stdout line parsed as JSON; fails the test on a line that is not a JSON object. */
  records(): LogRecord[];
  /** Resolves with the first record whose message matches, or fails if the process exits first. */
  record(pattern: RegExp): Promise<LogRecord>;
}

/**
 * Runs the compiled CLI exactly as `npm start` does (`node bin/rollcall.js`, which builds dist/ first when it is
 * stale) with a clean ROLLCALL_* environment. stdout is a pipe, so the server logs JSON lines. Killed at test end.
 */
export function runCli(t: TestContext, args: string[], env: Record<string, string> = {}, options: { cwd?: string } = {}): Cli {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ROLLCALL_')));
  const child = spawn(process.execPath, ['bin/rollcall.js', ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = new Collector<string>();
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) lines.push(line);
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const parse = (line: string): LogRecord => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      assert.fail(`stdout line is not JSON: ${line}`);
    }
    assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `not a JSON object: ${line}`);
    const record = value as LogRecord;
    assert.equal(typeof record.level, 'number', `no numeric level: ${line}`);
    assert.equal(typeof record.time, 'number', `no time: ${line}`);
    assert.equal(typeof record.msg, 'string', `no msg: ${line}`);
    return record;
  };
  const cli: Cli = {
    child,
    lines,
    stderr: () => err,
    exit,
    records: () => lines.items.map(parse),
    record: async (pattern) => {
      const found = await Promise.race([
        lines.until((items) => items.some((l) => pattern.test(l))),
        exit.then((code) => assert.fail(`CLI exited (${code}) before logging ${pattern}: ${lines.items.join('\n')}${err}`)),
      ]);
      return parse(found.find((l) => pattern.test(l)) as string);
    },
  };
  return cli;
}

export const LISTENING = /rollcall listening on (https?):\/\/([\d.]+):(\d+) \((wss?):\/\/[\d.]+:\d+\/\) keys: ([^"]*)/;

/** Waits for the start-up banner; returns its record and the port it names. */
export async function listening(cli: Cli): Promise<{ record: LogRecord; host: string; port: number; keys: string }> {
  const record = await cli.record(LISTENING);
  const [, , host, port, , keys] = LISTENING.exec(record.msg) as RegExpExecArray;
  return { record, host: host as string, port: Number(port), keys: keys as string };
}
