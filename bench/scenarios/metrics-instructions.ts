import { CallgrindRun, callgrindAvailable } from '../callgrind.ts';
import type { Row } from '../context.ts';
import { fanoutRun, type Measure, MODES, type Mode, perRound, ratio, rounds, type Sample, stormRun } from '../metrics-modes.ts';
import { median } from '../stats.ts';
import { register } from './registry.ts';

const ROUNDS = 3;
/**
 * Scrapes during each scraped phase. Without valgrind each phase here lasts well under a second (storm of 300, 12,000
 * fan-out deliveries), so one scrape per phase is more often than once a second, and 15 times more than Prometheus
 * usually scrapes.
 */
const SCRAPES = 1;

const giga = (n: number) => `${(n / 1e9).toFixed(3)} G`;
const mega = (n: number) => `${(n / 1e6).toFixed(1)} M`;
const spread = (values: number[]) => (Math.max(...values) - Math.min(...values)) / median(values);
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

function row(name: string, size: string, samples: Record<Mode, Sample[]>): Row {
  const ratios = (key: 'instructions' | 'withoutCompiler') => {
    const r = (mode: Mode) => ratio(samples, mode, key);
    const rounds = (mode: Mode) =>
      perRound(samples, mode, key)
        .map((x) => x.toFixed(3))
        .join(' ');
    const med = (mode: Mode) => median(samples[mode].map((s) => s[key]));
    const spreads = MODES.map((m) => pct(spread(samples[m].map((s) => s[key])))).join('/');
    return {
      counting: r('counting'),
      scraped: r('scraped'),
      text:
        `counting/off ${r('counting').toFixed(3)} (rounds ${rounds('counting')}), ` +
        `scraped/off ${r('scraped').toFixed(3)} (rounds ${rounds('scraped')}); ` +
        `medians ${MODES.map((m) => giga(med(m))).join('/')}, spread (max−min)/median ${spreads} (off/counting/scraped)`,
    };
  };
  const all = ratios('instructions');
  const steady = ratios('withoutCompiler');
  const yes = (x: number) => (x <= 1.05 ? 'yes' : 'NO');
  return {
    scenario: `10 metrics on/off, instructions (${name})`,
    size,
    result:
      `all: ${all.text}. Without V8's compilers: ${steady.text}. ` +
      `${SCRAPES} scrape${SCRAPES > 1 ? 's' : ''} per scraped phase; one scrape alone ` +
      `${mega(median(samples.scraped.map((s) => s.scrapeInstructions)))}`,
    target:
      `within 5%: counting ${yes(all.counting)}/${yes(steady.counting)}, ` +
      `scraped ${yes(all.scraped)}/${yes(steady.scraped)} (all/without compilers)`,
  };
}

/**
 * 10. Metrics on vs off in instructions: the presence storm (N members) and the message fan-out (a fixed number of
 * messages to K = N subscribers), each on a fresh server under callgrind, off, counting and scraped (exactly
 * SCRAPES scrapes in the phase), in rotating order, ROUNDS rounds (bench/metrics-modes.ts). Counts only the server's
 * measured phase (counters zeroed before it, dumped after it), so other processes' load does not move the numbers
 * as it moves CPU seconds (scenario 10b). Reports the ratios of medians to `off`, each round's ratio, and the spread
 * of each mode's counts, in all and without V8's compilers (whose share moves by several percent between identical
 * runs, see bench/callgrind.ts).
 */
register({
  name: 'metrics',
  title: '10 metrics on/off, instructions',
  // Under valgrind a round of six servers takes minutes: not part of --quick (run it with --only metrics).
  sizes: { quick: [], full: [300] },
  async run(ctx, n) {
    if (!callgrindAvailable()) throw new Error('needs valgrind (apt-get install valgrind)');
    const callgrind = new CallgrindRun();
    const how: Measure = { callgrind, scrapes: SCRAPES };
    // About 30,000 deliveries, fewer than scenario 5's: under valgrind the server is about 50 times slower.
    const messages = Math.max(10, Math.floor(30_000 / n));
    try {
      const count = ctx.options.rounds ?? (ctx.options.quick ? 1 : ROUNDS);
      const storms = await rounds(count, 'storm', (mode) => stormRun(ctx, n, mode, how));
      const fanouts = await rounds(count, 'fan-out', (mode) => fanoutRun(ctx, n, messages, mode, how));
      return [row('storm', `N=${n}`, storms), row('fan-out', `K=${n}, ${messages} msgs`, fanouts)];
    } finally {
      callgrind.remove();
    }
  },
});
