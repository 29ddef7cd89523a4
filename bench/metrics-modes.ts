import { request } from 'node:http';
import type { CallgrindRun } from './callgrind.ts';
import type { Child } from './child.ts';
import { BENCH_KEY, type BenchContext } from './context.ts';
import { openAll as openFanout, phase } from './scenarios/fanout.ts';
import { openAll as openStorm, storm } from './scenarios/storm.ts';
import { median } from './stats.ts';

/**
 * The storm and fan-out runs of the metrics on/off comparison (scenarios `metrics` and `metrics-cpu`), each on a
 * fresh server in one of three modes:
 * - `off`: `metrics: false`;
 * - `counting`: metrics on, never scraped (the hot-path counting and prom-client's process collectors alone);
 * - `scraped`: metrics on, `/metrics` scraped three times before the measured phase (and its warm-up, if any) and
 *   during it.
 */
export type Mode = 'off' | 'counting' | 'scraped';
export const MODES: readonly Mode[] = ['off', 'counting', 'scraped'];

/**
 * One measured phase: its wall time, the server's CPU time and (under callgrind) its instructions, in all and
 * without V8's compilers, and in scraped mode under callgrind the instructions of one more scrape on its own, after
 * the phase (NaN when not measured).
 */
export interface Sample {
  ms: number;
  cpuMs: number;
  instructions: number;
  withoutCompiler: number;
  scrapeInstructions: number;
}

/**
 * How a run measures the server and scrapes it: CPU seconds with a scrape every second while the phase lasts, or
 * (with `callgrind`) instructions with exactly `scrapes` scrapes a second apart, so every run does the same work.
 */
export interface Measure {
  callgrind?: CallgrindRun;
  scrapes?: number;
}

const authorization = `Basic ${Buffer.from(BENCH_KEY).toString('base64')}`;

/**
 * One `GET /metrics` on a new connection (as Prometheus does after its keep-alive lapses; fetch's pooled
 * connection could be closed by the server's keep-alive timeout while a request goes out on it).
 */
export function scrapeOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false, headers: { authorization } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`/metrics answered ${res.statusCode}`));
      res.resume().on('end', resolve).on('error', reject);
    });
    req.on('error', reject).end();
  });
}

/**
 * Scrapes every second from now until stopped, or exactly `limit` times (then stopping waits for the last one).
 * Prometheus usually scrapes every 15 s, so once a second is harsher than production.
 */
function scrapeEverySecond(port: number, limit = Number.POSITIVE_INFINITY): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; i < limit; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (stopped && limit === Number.POSITIVE_INFINITY) return;
      await scrapeOnce(port);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

/** How long a storm may take under valgrind. */
const STORM_TIMEOUT_MS = 900_000;

/**
 * Measures one phase of `server`: runs `warmUp` if given (not measured), then starts scraping (scraped mode), runs
 * `work`, and reads the counters. In scraped mode the server is scraped a few times before the warm-up and during
 * it too: the first scrapes make V8 drop and recompile code that HTTP and WebSocket traffic share (Node's socket
 * and stream internals), which a long-running server pays once, not in every phase.
 */
async function measured(
  ctx: BenchContext,
  server: { child: Child; port: number },
  workers: Child[],
  mode: Mode,
  how: Measure,
  warmUp: (() => Promise<unknown>) | undefined,
  work: () => Promise<{ ms: number }>,
): Promise<Sample> {
  if (mode === 'scraped') for (let i = 0; i < 3; i++) await scrapeOnce(server.port);
  if (warmUp) {
    const stopWarmScraping = mode === 'scraped' ? scrapeEverySecond(server.port, how.scrapes) : undefined;
    await warmUp();
    await stopWarmScraping?.();
  }
  const pid = server.child.pid;
  // Under callgrind, every phase starts on a freshly collected heap: otherwise whether a major GC (tens of millions
  // of instructions) falls inside a short phase or just after it decides a run's count more than metrics do.
  if (how.callgrind) await server.child.gc();
  how.callgrind?.start(pid);
  const m = await ctx.mark(server.child, workers);
  const stopScraping = mode === 'scraped' ? scrapeEverySecond(server.port, how.scrapes) : undefined;
  const { ms } = await work();
  await stopScraping?.();
  const use = await ctx.since(m, server.child, workers);
  // Under callgrind, let the server finish what the last frames started (the clients are done before it is).
  if (how.callgrind) await new Promise((resolve) => setTimeout(resolve, 500));
  const counted = how.callgrind?.stop(pid);
  let scrapeInstructions = Number.NaN;
  if (how.callgrind && mode === 'scraped') {
    how.callgrind.start(pid);
    await scrapeOnce(server.port);
    scrapeInstructions = how.callgrind.stop(pid).instructions;
  }
  await ctx.stopAll();
  return {
    ms,
    cpuMs: use.serverCpuMs,
    instructions: counted?.instructions ?? Number.NaN,
    withoutCompiler: counted ? counted.instructions - counted.compiler : Number.NaN,
    scrapeInstructions,
  };
}

/**
 * A fresh server in `mode`. Under callgrind the server can fall minutes behind its clients, so it tolerates long
 * silences (its liveness sweep would otherwise drop clients whose pongs it has not read yet), and presence is not
 * batched: how many events share a frame depends on timing, which would make the counts differ from run to run
 * (one frame per event is also the harsher case for counting, which works per frame).
 */
function startServer(ctx: BenchContext, mode: Mode, how: Measure) {
  const slow = how.callgrind ? { heartbeatMargin: 600_000, presenceBatchWindow: 0 } : {};
  return ctx.startServer({ metrics: mode !== 'off', ...slow }, how.callgrind?.spawnOptions());
}

/**
 * The presence storm at N on a fresh server. Under callgrind the same clients first storm two other channels (not
 * counted), so the count is mostly of code V8 has already compiled, as on a server that has run for a while.
 */
export async function stormRun(ctx: BenchContext, n: number, mode: Mode, how: Measure = {}): Promise<Sample> {
  const server = await startServer(ctx, mode, how);
  const workers = await ctx.startWorkers(2);
  const counts = await openStorm(workers, n, server.port, ctx, false, how.callgrind ? 'warm-up-1' : 'storm');
  const warmUp = async () => {
    await storm(workers, counts, n, 'warm-up-1', STORM_TIMEOUT_MS);
    await Promise.all(workers.map((w) => w.request('attachAll', { channel: 'warm-up-2', roomSize: 0 })));
    await storm(workers, counts, n, 'warm-up-2', STORM_TIMEOUT_MS);
    await Promise.all(workers.map((w) => w.request('attachAll', { channel: 'storm', roomSize: 0 })));
  };
  return measured(ctx, server, workers, mode, how, how.callgrind ? warmUp : undefined, () =>
    storm(workers, counts, n, 'storm', how.callgrind ? STORM_TIMEOUT_MS : undefined),
  );
}

/** The fan-out throughput phase of `messages` messages to K subscribers on a fresh server. */
export async function fanoutRun(ctx: BenchContext, k: number, messages: number, mode: Mode, how: Measure = {}): Promise<Sample> {
  const server = await startServer(ctx, mode, how);
  const workers = await ctx.startWorkers(2);
  const counts = await openFanout(ctx, workers, k, server.port, false);
  // Under valgrind the server is much slower: allow it ten minutes.
  const timeoutMs = how.callgrind ? 600_000 : 180_000;
  // Under callgrind, twice as many messages first (not counted), so the count is of warm code, as in a long fan-out.
  const warmUp = () => phase(workers, counts, 2 * messages, 0, timeoutMs);
  return measured(ctx, server, workers, mode, how, how.callgrind ? warmUp : undefined, () =>
    phase(workers, counts, messages, 0, timeoutMs),
  );
}

/**
 * Runs every mode once per round, rotating the order so drift in the machine's load falls on all alike; prints
 * each sample as it comes (`what` names the run), since a run of rounds can take many minutes.
 */
export async function rounds(n: number, what: string, run: (mode: Mode) => Promise<Sample>): Promise<Record<Mode, Sample[]>> {
  const out: Record<Mode, Sample[]> = { off: [], counting: [], scraped: [] };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < MODES.length; j++) {
      const mode = MODES[(i + j) % MODES.length] as Mode;
      const sample = await run(mode);
      out[mode].push(sample);
      const instructions = Number.isNaN(sample.instructions)
        ? ''
        : `, ${sample.instructions} instructions (${sample.withoutCompiler} without V8's compilers)`;
      console.log(
        `    ${what} round ${i + 1} ${mode}: ${sample.ms.toFixed(0)} ms, server CPU ${sample.cpuMs.toFixed(0)} ms${instructions}`,
      );
    }
  }
  return out;
}

/** Ratio of medians of `key` between `mode` and `off`. */
export function ratio(samples: Record<Mode, Sample[]>, mode: Mode, key: keyof Sample): number {
  return median(samples[mode].map((s) => s[key])) / median(samples.off.map((s) => s[key]));
}

/** Each round's `mode`/off ratio of `key`. */
export function perRound(samples: Record<Mode, Sample[]>, mode: Mode, key: keyof Sample): number[] {
  return samples[mode].map((s, i) => s[key] / (samples.off[i] as Sample)[key]);
}
