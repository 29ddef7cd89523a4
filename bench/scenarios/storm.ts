import { DEFAULT_CONFIG } from '../../src/config/index.ts';
import type { Child } from '../child.ts';
import { BENCH_KEY, type BenchContext, split } from '../context.ts';
import { wallNow } from '../light-client.ts';
import { fmtMs, fmtRate, withTimeout } from '../stats.ts';
import { register } from './registry.ts';

/**
 * Opens `n` clients spread over the workers, all attached to `channel` (raw: just connected to the relay), with
 * ATTACH `params` when given. Shared by the scenarios that open a crowd on one channel.
 */
export async function openAll(
  workers: Child[],
  n: number,
  port: number,
  ctx: BenchContext,
  raw: boolean,
  channel: string,
  params?: Record<string, string>,
) {
  const counts = split(n, workers.length);
  await Promise.all(
    workers.map((w, i) =>
      w.request('open', {
        port,
        key: BENCH_KEY,
        format: ctx.options.format,
        prefix: `s${i}-`,
        count: counts[i],
        raw,
        channel,
        params,
      }),
    ),
  );
  return counts;
}

/** Everyone enters at once (also used by cluster-storm); resolves with the time until every client holds all `n` members. */
export async function storm(
  workers: Child[],
  counts: number[],
  n: number,
  channel: string,
  timeoutMs = 300_000,
): Promise<{ ms: number; frames: number }> {
  const t0 = wallNow();
  let offset = 0;
  await Promise.all(
    workers.map((w, i) => {
      const p = w.request('enterAll', { channel, offset });
      offset += counts[i] as number;
      return p;
    }),
  );
  const results = await withTimeout(
    Promise.all(
      workers.map((w) =>
        w.request<{ doneAt: number; frames: number; short: number; closed: number; fewest: number }>('waitMembers', {
          channel,
          expect: n,
        }),
      ),
    ),
    timeoutMs,
    `storm of ${n}`,
  );
  const short = results.reduce((s, r) => s + r.short, 0);
  if (short > 0) {
    const closed = results.reduce((s, r) => s + r.closed, 0);
    const fewest = Math.min(...results.map((r) => r.fewest));
    throw new Error(`${short} clients never saw all ${n} members (${closed} of them closed; fewest held ${fewest})`);
  }
  return { ms: Math.max(...results.map((r) => r.doneAt)) - t0, frames: results.reduce((s, r) => s + r.frames, 0) };
}

/**
 * 1. Presence storm: N clients attached to one channel all enter at once; time until every client holds all N
 * members (N² member-events), and member-events per second. The ceiling relays the same N enter frames, shaped
 * like Rollcall's, to the same N clients; the batching ceiling also merges them in the server's presence window, as
 * the server does on a busy channel, so its ratio says how close the server is to what this machine can do.
 */
register({
  name: 'storm',
  title: '1 presence storm',
  sizes: { quick: [250, 500], full: [250, 500, 1000, 2000] },
  async run(ctx, n) {
    const events = n * n;
    const channel = 'storm';

    const relayRun = async (args: string[]) => {
      const ceiling = await ctx.startCeiling(args);
      const cw = await ctx.startWorkers(2);
      const cc = await openAll(cw, n, ceiling.port, ctx, true, channel);
      const cm = await ctx.mark(ceiling.child, cw);
      const result = await storm(cw, cc, n, channel);
      const usage = await ctx.since(cm, ceiling.child, cw);
      await ctx.stopAll();
      return { result, usage };
    };
    // One frame per event is 4 million frames at N=2,000 (about 100 s on this machine) and no fair comparison:
    // from there on only the batching ceiling runs.
    const perEvent = n < 2000 ? await relayRun([]) : undefined;
    // The honest ceiling: a relay that also batches presence in the server's window (see ceiling-server.ts).
    const { presenceBatchWindow, presenceBatchMaxItems } = DEFAULT_CONFIG;
    const { result: b, usage: buse } = await relayRun([
      '--batch-window',
      String(presenceBatchWindow),
      '--batch-max',
      String(presenceBatchMaxItems),
    ]);

    const server = await ctx.startServer();
    const workers = await ctx.startWorkers(2);
    const counts = await openAll(workers, n, server.port, ctx, false, channel);
    const m = await ctx.mark(server.child, workers);
    const ours = await storm(workers, counts, n, channel);
    const use = await ctx.since(m, server.child, workers);

    const target =
      n === 1000 ? `< 5 s: ${ours.ms < 5000 ? 'yes' : 'NO'}` : n === 2000 ? `< 4 s: ${ours.ms < 4000 ? 'yes' : 'NO'}` : undefined;
    return [
      {
        scenario: '1 presence storm',
        size: `N=${n}`,
        result: `${fmtMs(ours.ms)}, ${fmtRate((events * 1000) / ours.ms)} member-events, ${ours.frames} frames`,
        target,
        server: use.server,
        load: use.load,
      },
      perEvent
        ? {
            scenario: '6 ceiling (storm)',
            size: `N=${n}`,
            result: `${fmtMs(perEvent.result.ms)}, ${fmtRate((events * 1000) / perEvent.result.ms)}; ours/ceiling = ${(perEvent.result.ms / ours.ms).toFixed(2)}`,
            server: perEvent.usage.server,
            load: perEvent.usage.load,
          }
        : { scenario: '6 ceiling (storm)', size: `N=${n}`, result: 'not run at N ≥ 2,000 (one frame per event)' },
      {
        scenario: '6b batching ceiling (storm)',
        size: `N=${n}`,
        result: `${fmtMs(b.ms)}, ${fmtRate((events * 1000) / b.ms)}, ${b.frames} frames; ours/ceiling = ${(b.ms / ours.ms).toFixed(2)}`,
        server: buse.server,
        load: buse.load,
      },
    ];
  },
});
