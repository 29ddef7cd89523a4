import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Counting a bench child's instructions with valgrind's callgrind: the one CPU measure on this machine that does not
 * move with other processes' load (`perf stat -e instructions` reports "not supported" here: no hardware counters
 * in this VM). The child runs under `valgrind --tool=callgrind` with instrumentation off, so start-up and
 * connecting run only a few times slower; `callgrind_control` switches it on and zeroes the counters before a
 * measured phase, then dumps them and switches it off again (the phase itself runs about 50 times slower).
 * Counts cover every thread of the process (V8's compiler and GC helpers too) in user space; the kernel's share
 * of a syscall is not counted.
 */

/** True when `valgrind` and `callgrind_control` can be run. */
export function callgrindAvailable(): boolean {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['-h'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Where one child's callgrind dumps go: `<dir>/callgrind.<pid>.<n>` (n = 1, 2, ... per measured phase), removed by
 * {@link CallgrindRun.remove}.
 */
export class CallgrindRun {
  readonly dir = mkdtempSync(join(tmpdir(), 'rollcall-callgrind-'));
  private dumps = new Map<number, number>();

  /**
   * How to start the child: valgrind's arguments, and node flags that make V8 do its compiling and garbage
   * collection on the main thread at points set by the work done (not by timers and thread scheduling), so the same
   * work costs the same instructions run after run.
   */
  spawnOptions(): { valgrind: string[]; nodeFlags: string[] } {
    return { valgrind: this.valgrindArgs(), nodeFlags: ['--single-threaded', '--predictable-gc-schedule'] };
  }

  /** Valgrind's arguments up to (not including) the node executable's own. */
  private valgrindArgs(): string[] {
    // No per-instruction or per-line data: only the totals are read, and smaller dumps are written faster.
    return [
      '--tool=callgrind',
      '--dump-instr=no',
      '--dump-line=no',
      '--instr-atstart=no',
      `--callgrind-out-file=${join(this.dir, 'callgrind.%p')}`,
      `--log-file=${join(this.dir, 'valgrind.%p.log')}`,
    ];
  }

  /** Starts counting the instructions of the process `pid` from zero (a measured phase starts). */
  start(pid: number): void {
    execFileSync('callgrind_control', ['-i', 'on', String(pid)], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['-z', String(pid)], { stdio: 'ignore' });
  }

  /**
   * Stops counting for `pid` and returns the instructions executed since {@link start}: in all, and without V8's
   * compilers (see {@link compilerInstructions}).
   */
  stop(pid: number): { instructions: number; compiler: number } {
    execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['-i', 'off', String(pid)], { stdio: 'ignore' });
    const n = (this.dumps.get(pid) ?? 0) + 1;
    this.dumps.set(pid, n);
    const file = join(this.dir, `callgrind.${pid}.${n}`);
    if (!existsSync(file)) throw new Error(`callgrind wrote no dump ${file}`);
    const text = readFileSync(file, 'utf8');
    const summary = /^summary:\s*(\d+)/m.exec(text);
    if (!summary) throw new Error(`no summary line in ${file}`);
    return { instructions: Number(summary[1]), compiler: compilerInstructions(text) };
  }

  /** Removes the dumps, unless ROLLCALL_KEEP_CALLGRIND=1 asks to keep them for `callgrind_annotate`. */
  remove(): void {
    if (process.env.ROLLCALL_KEEP_CALLGRIND === '1') console.log(`    callgrind dumps kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * V8's compilers and deoptimizer (TurboFan, Maglev, Sparkplug, the bytecode generator and parser), by the names of
 * their C++ functions. How much of a phase they take varies from run to run by several percent even with V8 on one
 * thread (what gets optimized when), so the count without them is the steadier measure of the server's own work.
 */
const COMPILER =
  /v8::internal::(compiler|maglev|turboshaft|baseline|interpreter::BytecodeGenerator)|v8::internal::(Compiler|OptimizingCompileDispatcher|Deoptimizer|Parser|PreParser)\b/;

/**
 * The self cost (instructions) of the functions matching {@link COMPILER} in a callgrind dump written with
 * `--dump-instr=no --dump-line=no`: each `fn=` block's cost lines, except the line after each `calls=` (that one is
 * the called function's inclusive cost, counted where it belongs). Checked against `callgrind_annotate`'s self costs.
 */
export function compilerInstructions(dump: string): number {
  const names = new Map<string, string>();
  let inCompiler = false;
  let skipNext = false;
  let total = 0;
  for (const line of dump.split('\n')) {
    // Names are compressed: the first `fn=(id) name` or `cfn=(id) name` gives the name, later ones only the id.
    const named = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line);
    if (named) {
      const id = named[1] as string;
      if (named[2] !== undefined) names.set(id, named[2]);
      if (line.startsWith('fn=')) inCompiler = COMPILER.test(names.get(id) ?? '');
      continue;
    }
    if (line.startsWith('calls=')) {
      skipNext = true;
      continue;
    }
    const cost = /^[+-]?\d+ (\d+)$/.exec(line);
    if (!cost) continue;
    if (skipNext) skipNext = false;
    else if (inCompiler) total += Number(cost[1]);
  }
  return total;
}
