import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Instructions executed by a process running under callgrind (bench/child.ts `callgrind`), phase by phase:
 * `zero()` resets its counters, `read()` dumps them and returns the instructions since the zero, all threads
 * together (V8's compiler and GC threads included). Unlike CPU seconds, the count does not grow when other
 * processes compete for the cores, which on this shared machine is the number a comparison can rest on.
 */
export class InstructionCounter {
  constructor(
    private readonly pid: number,
    private readonly dir: string,
  ) {}

  async zero(): Promise<void> {
    await run('callgrind_control', ['-z', String(this.pid)]);
  }

  async read(): Promise<number> {
    const before = new Set(this.dumps());
    await run('callgrind_control', ['-d', String(this.pid)]);
    const fresh = this.dumps().filter((f) => !before.has(f));
    const newest = fresh.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (!newest) throw new Error(`callgrind wrote no dump for pid ${this.pid}`);
    const totals = /^totals:\s*(\d+)/m.exec(readFileSync(newest, 'utf8'));
    return Number(totals?.[1] ?? Number.NaN);
  }

  private dumps(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.startsWith(`callgrind.out.${this.pid}`))
      .map((f) => join(this.dir, f));
  }
}
