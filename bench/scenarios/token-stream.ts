import type { Child } from '../child.ts';
import { BENCH_KEY } from '../context.ts';
import { fmtMs, fmtRate, percentile, withTimeout } from '../stats.ts';
import { register } from './registry.ts';
import { openAll } from './storm.ts';

const CHANNEL = 'stream';
/** Unacknowledged appends the agent keeps in flight (the SDK pipelines appends the same way). */
const WINDOW = 16;
const TOKENS = 1000;

/** Waits until every subscriber has `perClient` messages; returns when the last arrived and sampled latencies. */
async function received(workers: Child[], counts: number[], perClient: number) {
  const done = await withTimeout(
    Promise.all(
      workers.map((w, i) =>
        w.request<{ doneAt: number; latencies: number[] }>('waitReceived', { expect: (counts[i] as number) * perClient }),
      ),
    ),
    180_000,
    'token stream delivery',
  );
  return { doneAt: Math.max(...done.map((d) => d.doneAt)), latencies: done.flatMap((d) => d.latencies) };
}

const lat = (l: number[]) => `p50 ${fmtMs(percentile(l, 50))}, p99 ${fmtMs(percentile(l, 99))}`;

/**
 * 11. Token streaming (AI Transport's pattern): one agent creates a message and appends 1,000 tokens to it, with
 * K subscribers. Appends/s is the rate the agent's appends complete (acknowledged and delivered to all); latency is
 * send to receipt per token; history size is what `GET …/messages` holds after the stream (one entry with the
 * whole text, not one per token). The ceiling relays 1,000 frames of the same shape through a bare `ws` relay.
 */
register({
  name: 'token-stream',
  title: '11 token streaming',
  sizes: { quick: [100], full: [100] },
  async run(ctx, k) {
    const ceiling = await ctx.startCeiling();
    const cw = await ctx.startWorkers(2);
    const cc = await openAll(cw, k, ceiling.port, ctx, true, CHANNEL);
    await Promise.all(cw.map((w) => w.request('listen', { sampleEvery: 1 })));
    const cPub = (cw[0] as Child).request<{ t0: number }>('publish', {
      channel: CHANNEL,
      count: TOKENS,
      size: 20,
      window: WINDOW,
      rate: 0,
    });
    const cDone = await received(cw, cc, TOKENS);
    const cRate = (TOKENS * 1000) / (cDone.doneAt - (await cPub).t0);
    await ctx.stopAll();

    const server = await ctx.startServer();
    const workers = await ctx.startWorkers(2);
    const counts = await openAll(workers, k, server.port, ctx, false, CHANNEL);
    await Promise.all(workers.map((w) => w.request('listen', { sampleEvery: 1 })));
    const m = await ctx.mark(server.child, workers);
    const streamed = (workers[0] as Child).request<{ t0: number; serial: string }>('stream', {
      channel: CHANNEL,
      count: TOKENS,
      window: WINDOW,
    });
    const done = await received(workers, counts, TOKENS + 1);
    const { t0 } = await streamed;
    const use = await ctx.since(m, server.child, workers);
    const rate = (TOKENS * 1000) / (done.doneAt - t0);

    const auth = `Basic ${Buffer.from(BENCH_KEY).toString('base64')}`;
    const res = await fetch(`http://127.0.0.1:${server.port}/channels/${CHANNEL}/messages?limit=1000`, {
      headers: { authorization: auth },
    });
    const history = (await res.json()) as Array<{ data?: string }>;
    const bytes = history.reduce((n, e) => n + Buffer.byteLength(String(e.data ?? '')), 0);
    const ratio = rate / cRate;
    return [
      {
        scenario: '11 token streaming',
        size: `K=${k}`,
        result: `${fmtRate(rate)} appends (${fmtRate(rate * k)} delivered); ${lat(done.latencies)}; history after: ${history.length} entr${history.length === 1 ? 'y' : 'ies'}, ${bytes} B`,
        target: `≥ 50% of ceiling: ${ratio >= 0.5 ? 'yes' : 'NO'} (${Math.round(ratio * 100)}%)`,
        server: use.server,
        load: use.load,
      },
      {
        scenario: '11 ceiling (token fan-out)',
        size: `K=${k}`,
        result: `${fmtRate(cRate)} frames (${fmtRate(cRate * k)} delivered); ${lat(cDone.latencies)}; ours/ceiling = ${ratio.toFixed(2)}`,
      },
    ];
  },
});
