import { monitorEventLoopDelay } from 'node:perf_hooks';

/** What a bench child process reports about itself over IPC. */
export interface ProcessStats {
  pid: number;
  /** CPU time used so far, ms (user + system). */
  cpuMs: number;
  rss: number;
  heapUsed: number;
}

/** Reads this process's CPU and memory. */
export function ownStats(): ProcessStats {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return { pid: process.pid, cpuMs: (cpu.user + cpu.system) / 1000, rss: mem.rss, heapUsed: mem.heapUsed };
}

/**
 * Answers the harness's `stats` and `gc` requests on the IPC channel, and exits when the parent goes away, so a
 * crashed harness never leaves servers or load behind.
 */
export function serveStats(): void {
  // The longest event-loop stall since the last `loopReset`: what any other client of this process waited at worst.
  const loop = monitorEventLoopDelay({ resolution: 2 });
  loop.enable();
  process.on('message', (msg: { op?: string; id?: number }) => {
    if (msg.op === 'loopReset') {
      loop.reset();
      process.send?.({ id: msg.id, result: {} });
    }
    if (msg.op === 'loopMax') process.send?.({ id: msg.id, result: { maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 } });
    if (msg.op === 'stats') process.send?.({ id: msg.id, result: ownStats() });
    if (msg.op === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({ id: msg.id, result: ownStats() });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
