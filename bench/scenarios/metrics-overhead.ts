import { BENCH_KEY, type BenchContext, type Row } from '../context.ts';
import { hotPathCost } from '../metrics-hot-path.ts';
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

/**
 * How a run treats metrics: `off` (`metrics: false`), `counting` (on, never scraped: the hot-path counting and
 * process-metric collectors alone) or `scraped` (on, and `/metrics` scraped every second).
 */
type Mode = 'off' | 'counting' | 'scraped';
const MODES: readonly Mode[] = ['off', 'counting', 'scraped'];

/** Starts a server in `mode`, and scraping when asked; returns the port and the function that stops scraping. */
async function serverIn(ctx: BenchContext, mode: Mode) {
  const server = await ctx.startServer({ metrics: mode !== 'off' });
  return { server, scraping: async () => (mode === 'scraped' ? await scrapeWhile(server.port) : undefined) };
}

/** The presence storm at N on a fresh server. */
async function stormRun(ctx: BenchContext, n: number, mode: Mode): Promise<Sample> {
  const { server, scraping } = await serverIn(ctx, mode);
  const workers = await ctx.startWorkers(2);
  const counts = await openStorm(workers, n, server.port, ctx, false, 'storm');
  const stop = await scraping();
  const m = await ctx.mark(server.child, workers);
  const { ms } = await storm(workers, counts, n, 'storm');
  const use = await ctx.since(m, server.child, workers);
  await stop?.();
  await ctx.stopAll();
  return { ms, cpuMs: use.serverCpuMs };
}

/** The fan-out throughput phase to K subscribers on a fresh server. */
async function fanoutRun(ctx: BenchContext, k: number, mode: Mode): Promise<Sample> {
  const count = ctx.options.quick ? 300 : Math.max(100, Math.min(2000, Math.floor(200_000 / k)));
  const { server, scraping } = await serverIn(ctx, mode);
  const workers = await ctx.startWorkers(2);
  const counts = await openFanout(ctx, workers, k, server.port, false);
  const stop = await scraping();
  const m = await ctx.mark(server.child, workers);
  const { ms } = await phase(workers, counts, count, 0);
  const use = await ctx.since(m, server.child, workers);
  await stop?.();
  await ctx.stopAll();
  return { ms, cpuMs: use.serverCpuMs };
}

/** Runs every mode once per round, rotating the order so drift in the machine's load falls on all alike. */
async function rounds(n: number, run: (mode: Mode) => Promise<Sample>): Promise<Record<Mode, Sample[]>> {
  const out: Record<Mode, Sample[]> = { off: [], counting: [], scraped: [] };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < MODES.length; j++) {
      const mode = MODES[(i + j) % MODES.length] as Mode;
      out[mode].push(await run(mode));
    }
  }
  return out;
}

function row(name: string, size: string, samples: Record<Mode, Sample[]>): Row {
  const med = (mode: Mode, key: keyof Sample) => median(samples[mode].map((s) => s[key]));
  const ratio = (mode: Mode, key: keyof Sample) => med(mode, key) / med('off', key);
  const perRound = (key: keyof Sample) =>
    samples.scraped.map((s, i) => (s[key] / (samples.off[i] as Sample)[key]).toFixed(2)).join(' ');
  const wall = ratio('scraped', 'ms');
  const cpu = ratio('scraped', 'cpuMs');
  return {
    scenario: `10 metrics on/off (${name})`,
    size,
    result:
      `scraped/off: wall ${wall.toFixed(3)}, server CPU ${cpu.toFixed(3)}; ` +
      `counting/off: wall ${ratio('counting', 'ms').toFixed(3)}, CPU ${ratio('counting', 'cpuMs').toFixed(3)}; ` +
      `per round scraped/off wall ${perRound('ms')}, CPU ${perRound('cpuMs')}; ` +
      `median off ${fmtMs(med('off', 'ms'))} (CPU ${fmtMs(med('off', 'cpuMs'))})`,
    target: `within 5%: ${wall <= 1.05 ? 'yes' : 'NO'} (wall), ${cpu <= 1.05 ? 'yes' : 'NO'} (CPU)`,
  };
}

/**
 * 10. Metrics on vs off in the same run: the presence storm (N members) and the message fan-out (K = N
 * subscribers), each on a fresh server with `metrics: false`, with metrics on but never scraped, and with metrics
 * on and `/metrics` scraped every second, in rotating order. Reports ratios of medians to `off` (wall time of the
 * measured phase, and the server's CPU time in it) and each round's scraped/off ratios, so the noise is visible.
 */
register({
  name: 'metrics',
  title: '10 metrics on/off',
  // Five rounds of three servers take minutes: not part of --quick (run it with --only metrics).
  sizes: { quick: [], full: [1000] },
  async run(ctx, n) {
    const count = ctx.options.quick ? 2 : 5;
    const storms = await rounds(count, (mode) => stormRun(ctx, n, mode));
    const fanouts = await rounds(count, (mode) => fanoutRun(ctx, n, mode));
    // What counting adds per delivery, set against the server CPU per delivery measured in the fan-out (metrics off).
    const { offNs, onNs } = hotPathCost(ctx.options.format);
    const messages = ctx.options.quick ? 300 : Math.max(100, Math.min(2000, Math.floor(200_000 / n)));
    const cpuNsPerDelivery = (median(fanouts.off.map((s) => s.cpuMs)) * 1e6) / (messages * n);
    const added = onNs - offNs;
    return [
      row('storm', `N=${n}`, storms),
      row('fan-out', `K=${n}`, fanouts),
      {
        scenario: '10 metrics on/off (hot path, in process)',
        size: '1000 conns',
        result:
          `sendShared without sockets: off ${offNs.toFixed(1)} ns, on ${onNs.toFixed(1)} ns per delivery (best of 21); ` +
          `counting adds ${added.toFixed(1)} ns = ${((100 * added) / cpuNsPerDelivery).toFixed(2)}% of the server CPU ` +
          `per delivery in the fan-out (${(cpuNsPerDelivery / 1000).toFixed(1)} µs)`,
        target: `within 5%: ${added / cpuNsPerDelivery <= 0.05 ? 'yes' : 'NO'}`,
      },
    ];
  },
});
