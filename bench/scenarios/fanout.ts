import type { Child } from '../child.ts';
import type { BenchContext } from '../context.ts';
import { fmtMs, fmtRate, percentile, withTimeout } from '../stats.ts';
import { register } from './registry.ts';
import { openAll as openCrowd } from './storm.ts';

const SIZE = 100;
const WINDOW = 16;

interface Phase {
  ms: number;
  latencies: number[];
}

/** The fan-out's channel: K subscribers over the workers; the first client of worker 0 also publishes. */
export const FAN_CHANNEL = 'fan';

/** Opens K subscribers on {@link FAN_CHANNEL} over the workers. */
export const openAll = (ctx: BenchContext, workers: Child[], k: number, port: number, raw: boolean) =>
  openCrowd(workers, k, port, ctx, raw, FAN_CHANNEL);

/**
 * Publishes `count` messages (windowed when rate is 0, else paced) and waits until every subscriber has them all,
 * at most `timeoutMs`.
 */
export async function phase(
  workers: Child[],
  counts: number[],
  count: number,
  rate: number,
  timeoutMs = 180_000,
): Promise<Phase> {
  const total = counts.reduce((a, b) => a + b, 0) * count;
  const sampleEvery = Math.max(1, Math.floor(total / 40_000));
  await Promise.all(workers.map((w) => w.request('listen', { sampleEvery })));
  const pub = workers[0] as Child;
  const published = pub.request<{ t0: number }>('publish', { channel: FAN_CHANNEL, count, size: SIZE, window: WINDOW, rate });
  const done = await withTimeout(
    Promise.all(
      workers.map((w, i) =>
        w.request<{ doneAt: number; latencies: number[] }>('waitReceived', { expect: (counts[i] as number) * count }),
      ),
    ),
    timeoutMs,
    `fan-out to ${total / count}`,
  );
  const { t0 } = await published;
  return { ms: Math.max(...done.map((d) => d.doneAt)) - t0, latencies: done.flatMap((d) => d.latencies) };
}

const lat = (p: Phase) => `p50 ${fmtMs(percentile(p.latencies, 50))}, p99 ${fmtMs(percentile(p.latencies, 99))}`;

/**
 * 5. Message fan-out: one publisher, K subscribers, 100-byte messages. Throughput: as fast as a window of 16
 * unechoed messages allows (the publisher paces itself on its own echo); latency: paced at a quarter of the
 * ceiling's rate, so both servers carry the same moderate load. The ceiling relays frames shaped like Rollcall's
 * MESSAGE to the same K clients.
 */
register({
  name: 'fanout',
  title: '5 message fan-out',
  sizes: { quick: [100], full: [100, 1000, 2000] },
  async run(ctx, k) {
    const count = ctx.options.quick ? 300 : Math.max(100, Math.min(2000, Math.floor(200_000 / k)));

    const ceiling = await ctx.startCeiling();
    const cw = await ctx.startWorkers(2);
    const cc = await openAll(ctx, cw, k, ceiling.port, true);
    const cm = await ctx.mark(ceiling.child, cw);
    const cThroughput = await phase(cw, cc, count, 0);
    const cuse = await ctx.since(cm, ceiling.child, cw);
    const cRate = (count * 1000) / cThroughput.ms;
    const paced = Math.max(5, Math.min(1000, Math.round(cRate / 4)));
    const pacedCount = Math.max(50, Math.round(paced * (ctx.options.quick ? 1 : 2)));
    const cLatency = await phase(cw, cc, pacedCount, paced);
    await ctx.stopAll();

    const server = await ctx.startServer();
    const workers = await ctx.startWorkers(2);
    const counts = await openAll(ctx, workers, k, server.port, false);
    const m = await ctx.mark(server.child, workers);
    const throughput = await phase(workers, counts, count, 0);
    const use = await ctx.since(m, server.child, workers);
    const latency = await phase(workers, counts, pacedCount, paced);

    const ours = (count * k * 1000) / throughput.ms;
    const ceil = (count * k * 1000) / cThroughput.ms;
    const ratio = ours / ceil;
    return [
      {
        scenario: '5 message fan-out',
        size: `K=${k}`,
        result: `${fmtRate(ours)} delivered (${fmtRate((count * 1000) / throughput.ms)} published); at ${paced}/s: ${lat(latency)}`,
        target: `≥ 50% of ceiling: ${ratio >= 0.5 ? 'yes' : 'NO'} (${Math.round(ratio * 100)}%)`,
        server: use.server,
        load: use.load,
      },
      {
        scenario: '6 ceiling (fan-out)',
        size: `K=${k}`,
        result: `${fmtRate(ceil)} delivered; at ${paced}/s: ${lat(cLatency)}; ours/ceiling = ${ratio.toFixed(2)}`,
        server: cuse.server,
        load: cuse.load,
      },
    ];
  },
});
