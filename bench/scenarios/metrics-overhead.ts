import type { Row } from '../context.ts';
import { hotPathCost } from '../metrics-hot-path.ts';
import { fanoutRun, type Mode, perRound, ratio, rounds, type Sample, stormRun } from '../metrics-modes.ts';
import { fmtMs, median } from '../stats.ts';
import { register } from './registry.ts';

function row(name: string, size: string, samples: Record<Mode, Sample[]>): Row {
  const med = (mode: Mode, key: keyof Sample) => median(samples[mode].map((s) => s[key]));
  const rounds = (key: keyof Sample) =>
    perRound(samples, 'scraped', key)
      .map((r) => r.toFixed(2))
      .join(' ');
  const wall = ratio(samples, 'scraped', 'ms');
  const cpu = ratio(samples, 'scraped', 'cpuMs');
  return {
    scenario: `10b metrics on/off, CPU seconds (${name})`,
    size,
    result:
      `scraped/off: wall ${wall.toFixed(3)}, server CPU ${cpu.toFixed(3)}; ` +
      `counting/off: wall ${ratio(samples, 'counting', 'ms').toFixed(3)}, CPU ${ratio(samples, 'counting', 'cpuMs').toFixed(3)}; ` +
      `per round scraped/off wall ${rounds('ms')}, CPU ${rounds('cpuMs')}; ` +
      `median off ${fmtMs(med('off', 'ms'))} (CPU ${fmtMs(med('off', 'cpuMs'))})`,
    target: `within 5%: ${wall <= 1.05 ? 'yes' : 'NO'} (wall), ${cpu <= 1.05 ? 'yes' : 'NO'} (CPU)`,
  };
}

/**
 * 10b. Metrics on vs off in CPU seconds (the load-sensitive companion of scenario 10, which counts instructions):
 * the presence storm (N members) and the message fan-out (K = N subscribers), each on a fresh server off, counting
 * and scraped every second (bench/metrics-modes.ts), in rotating order. Reports ratios of medians to `off` (wall
 * time of the measured phase, and the server's CPU time in it) and each round's scraped/off ratios, so the noise
 * is visible; and the in-process cost of counting per fan-out delivery.
 */
register({
  name: 'metrics-cpu',
  title: '10b metrics on/off, CPU seconds',
  // Five rounds of three servers take minutes: not part of --quick (run it with --only metrics-cpu).
  sizes: { quick: [], full: [1000] },
  async run(ctx, n) {
    const count = ctx.options.rounds ?? (ctx.options.quick ? 2 : 5);
    const messages = ctx.options.quick ? 300 : Math.max(100, Math.min(2000, Math.floor(200_000 / n)));
    const storms = await rounds(count, 'storm', (mode) => stormRun(ctx, n, mode));
    const fanouts = await rounds(count, 'fan-out', (mode) => fanoutRun(ctx, n, messages, mode));
    // What counting adds per delivery, set against the server CPU per delivery measured in the fan-out (metrics off).
    const { offNs, onNs } = hotPathCost(ctx.options.format);
    const cpuNsPerDelivery = (median(fanouts.off.map((s) => s.cpuMs)) * 1e6) / (messages * n);
    const added = onNs - offNs;
    return [
      row('storm', `N=${n}`, storms),
      row('fan-out', `K=${n}`, fanouts),
      {
        scenario: '10b metrics on/off (hot path, in process)',
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
