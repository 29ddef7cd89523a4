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
  process.on('message', (msg: { op?: string; id?: number }) => {
    if (msg.op === 'stats') process.send?.({ id: msg.id, result: ownStats() });
    if (msg.op === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({ id: msg.id, result: ownStats() });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
