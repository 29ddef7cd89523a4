import { BENCH_KEY, type BenchContext, type Row } from '../context.ts';
import { fmtMs, median } from '../stats.ts';
import { openAll as openFanout, phase } from './fanout.ts';
import { register } from './registry.ts';
import { openAll as openStorm, storm } from './storm.ts';

/** One measured run: wall time of the phase and the server's CPU time in it. */
interface Sample {
  ms: number;
  cpuMs: number;
}

const authorization = `Basic ${Buffer.from(BENCH_KEY).toString('base64')}`;

async function scrapeOnce(port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization } });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  await res.text();
}

/**
 * Scrapes `/metrics` every second while a measured phase runs (Prometheus usually scrapes every 15 s, so this is
 * harsher than production), after one scrape before it: a scraped server has its scrape code warm. Returns a
 * function that stops the scraping.
 */
async function scrapeWhile(port: number): Promise<() => Promise<void>> {
  await scrapeOnce(port);
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (!stopped) await scrapeOnce(port);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

/** The presence storm at N on a fresh server with metrics on or off. */
async function stormRun(ctx: BenchContext, n: number, metrics: boolean): Promise<Sample> {
  const server = await ctx.startServer({ metrics });
  const workers = await ctx.startWorkers(2);
  const counts = await openStorm(workers, n, server.port, ctx, false, 'storm');
  const stop = metrics ? await scrapeWhile(server.port) : undefined;
  const m = await ctx.mark(server.child, workers);
  const { ms } = await storm(workers, counts, n, 'storm');
  const use = await ctx.since(m, server.child, workers);
  await stop?.();
  await ctx.stopAll();
  return { ms, cpuMs: use.serverCpuMs };
}

/** The fan-out throughput phase to K subscribers on a fresh server with metrics on or off. */
async function fanoutRun(ctx: BenchContext, k: number, metrics: boolean): Promise<Sample> {
  const count = ctx.options.quick ? 300 : Math.max(100, Math.min(2000, Math.floor(200_000 / k)));
  const server = await ctx.startServer({ metrics });
  const workers = await ctx.startWorkers(2);
  const counts = await openFanout(ctx, workers, k, server.port, false);
  const stop = metrics ? await scrapeWhile(server.port) : undefined;
  const m = await ctx.mark(server.child, workers);
  const { ms } = await phase(workers, counts, count, 0);
  const use = await ctx.since(m, server.child, workers);
  await stop?.();
  await ctx.stopAll();
  return { ms, cpuMs: use.serverCpuMs };
}

/** Runs off/on pairs, alternating which goes first so drift in the machine's load falls on both alike. */
async function pairs(rounds: number, run: (metrics: boolean) => Promise<Sample>): Promise<{ off: Sample[]; on: Sample[] }> {
  const off: Sample[] = [];
  const on: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const metrics of i % 2 === 0 ? [false, true] : [true, false]) (metrics ? on : off).push(await run(metrics));
  }
  return { off, on };
}

function row(name: string, size: string, { off, on }: { off: Sample[]; on: Sample[] }): Row {
  const ratio = (a: number, b: number) => (a / b).toFixed(3);
  const wall = median(on.map((s) => s.ms)) / median(off.map((s) => s.ms));
  const cpu = median(on.map((s) => s.cpuMs)) / median(off.map((s) => s.cpuMs));
  const perRound = on.map((s, i) => ratio(s.ms, (off[i] as Sample).ms)).join(', ');
  return {
    scenario: `8 metrics overhead (${name})`,
    size,
    result:
      `on/off wall ${wall.toFixed(3)} (rounds ${perRound}), server CPU ${cpu.toFixed(3)}; ` +
      `off ${off.map((s) => fmtMs(s.ms)).join(' ')}, on ${on.map((s) => fmtMs(s.ms)).join(' ')}`,
    target: `within 5%: ${wall <= 1.05 ? 'yes' : 'NO'} (wall), ${cpu <= 1.05 ? 'yes' : 'NO'} (CPU)`,
  };
}

/**
 * 8. Metrics on vs off in the same run: the presence storm (N members) and the message fan-out (K = N
 * subscribers), each on a fresh server with `metrics: false` and with metrics on and `/metrics` scraped every
 * second, in alternating pairs. Reports the ratio of medians (wall time of the phase, and the server's CPU time),
 * and each round's wall-time ratio so the noise is visible.
 */
register({
  name: 'metrics',
  title: '8 metrics overhead',
  sizes: { quick: [500], full: [1000] },
  async run(ctx, n) {
    const rounds = ctx.options.quick ? 2 : 5;
    const stormPairs = await pairs(rounds, (metrics) => stormRun(ctx, n, metrics));
    const fanoutPairs = await pairs(rounds, (metrics) => fanoutRun(ctx, n, metrics));
    return [row('storm', `N=${n}`, stormPairs), row('fan-out', `K=${n}`, fanoutPairs)];
  },
});
