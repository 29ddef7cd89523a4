import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProcessStats } from './process-stats.ts';

/** A bench child process (server, ceiling or load worker) driven by request/response over IPC. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<{ port: number }>;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      proc.on('message', (msg: { ready?: boolean; port?: number; id?: number; result?: unknown; error?: string }) => {
        if (msg.ready) return resolve({ port: msg.port ?? 0 });
        const w = msg.id === undefined ? undefined : this.pending.get(msg.id);
        if (!w || msg.id === undefined) return;
        this.pending.delete(msg.id);
        if (msg.error !== undefined) w.reject(new Error(`${name}: ${msg.error}`));
        else w.resolve(msg.result);
      });
      proc.once('exit', (code) => {
        const err = new Error(`${name} exited (${code})`);
        reject(err);
        for (const w of this.pending.values()) w.reject(err);
        this.pending.clear();
      });
    });
  }

  get pid(): number {
    return this.proc.pid ?? 0;
  }

  request<T>(op: string, args: object = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, op, args });
    });
  }

  stats(): Promise<ProcessStats> {
    return this.request('stats');
  }

  /** Runs a full GC in the child (started with --expose-gc), then reports stats. */
  gc(): Promise<ProcessStats> {
    return this.request('gc');
  }

  /** Disconnects IPC (the child exits by itself, writing any --cpu-prof profile), killing it if it lingers. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    // A child killed on purpose (a node-death scenario) may have lost IPC before its exit was seen.
    if (!this.proc.connected) this.proc.kill('SIGKILL');
    else this.proc.disconnect();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface SpawnOptions {
  /** Pin to this CPU with taskset (best effort). */
  cpu?: number;
  cpuProf?: string;
  maxOldSpaceMb?: number;
  /** Run under `valgrind --tool=callgrind`, its output files in this directory (instruction counts; ~50× slower). */
  callgrind?: string;
  /** Run node under valgrind with exactly these arguments (see bench/callgrind.ts); ignored with `callgrind`. */
  valgrind?: string[];
  /** More node (V8) flags. */
  nodeFlags?: string[];
}

/** Forks `bench/<file>` under tsx with IPC, --expose-gc, and optional CPU pinning, profiling and valgrind. */
export function spawnChild(name: string, file: string, args: string[], options: SpawnOptions = {}): Child {
  const execArgv = ['--import', 'tsx', '--expose-gc', ...(options.nodeFlags ?? [])];
  if (options.maxOldSpaceMb) execArgv.push(`--max-old-space-size=${options.maxOldSpaceMb}`);
  // One directory per role; Node names each file by pid and thread (tsx's loader thread writes one too).
  if (options.cpuProf) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProf}/${name}`);
  // Under callgrind, valgrind is the program and node its argument (the IPC channel is inherited all the same).
  const valgrind = options.callgrind
    ? {
        execPath: 'valgrind',
        execArgv: [
          '--tool=callgrind',
          '--quiet',
          `--callgrind-out-file=${options.callgrind}/callgrind.out.%p`,
          process.execPath,
          ...execArgv,
        ],
      }
    : options.valgrind
      ? { execPath: 'valgrind', execArgv: [...options.valgrind, process.execPath, ...execArgv] }
      : { execArgv };
  const proc = fork(fileURLToPath(new URL(file, import.meta.url)), args, {
    ...valgrind,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (options.cpu !== undefined && proc.pid) {
    try {
      execFileSync('taskset', ['-a', '-pc', String(options.cpu), String(proc.pid)], { stdio: 'ignore' });
    } catch {
      // No taskset or not permitted: run unpinned; the report states the pinning it asked for.
    }
  }
  return new Child(name, proc);
}
