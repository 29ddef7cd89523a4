import { BENCH_KEY } from '../context.ts';
import { fmtMs, median, withTimeout } from '../stats.ts';
import { register } from './registry.ts';

const POPULATORS = 10;
const PER_MESSAGE = 100;
/** Mode bit PRESENCE only: populators enter members but do not receive everybody's events. */
const PRESENCE_ONLY = 1 << 16;

/**
 * 2. Late-join sync: a channel holds M members (entered by a few connections with enterClient, 100 per PRESENCE);
 * a new client connects and we time ATTACH sent → last SYNC page received (what `presence.get()` waits for).
 * Median of 3 joins.
 */
register({
  name: 'sync',
  title: '2 late-join sync',
  sizes: { quick: [1000, 5000], full: [1000, 10_000, 20_000, 50_000] },
  async run(ctx, m) {
    const channel = 'sync';
    const server = await ctx.startServer({ maxMembersPerChannel: Math.max(m, 20_000) });
    const [worker] = await ctx.startWorkers(1);
    if (!worker) throw new Error('no worker');
    const format = ctx.options.format;
    await worker.request('open', {
      port: server.port,
      key: BENCH_KEY,
      format,
      prefix: 'pop',
      count: POPULATORS,
      channel,
      flags: PRESENCE_ONLY,
    });
    await withTimeout(
      worker.request('populate', { channel, prefix: 'member-', from: 0, count: m, perMessage: PER_MESSAGE }),
      300_000,
      `populate ${m}`,
    );
    const mark = await ctx.mark(server.child, [worker]);
    const joins: number[] = [];
    let members = 0;
    for (let i = 0; i < 3; i++) {
      const r = await withTimeout(
        worker.request<{ ms: number; members: number }>('joinSync', {
          port: server.port,
          key: BENCH_KEY,
          format,
          channel,
          clientId: `late${i}`,
        }),
        120_000,
        `join ${m}`,
      );
      joins.push(r.ms);
      members = r.members;
    }
    if (members !== m) throw new Error(`late joiner saw ${members} of ${m} members`);
    const use = await ctx.since(mark, server.child, [worker]);
    const ms = median(joins);
    const target = m === 20_000 ? `< 500 ms: ${ms < 500 ? 'yes' : 'NO'}` : m === 50_000 ? 'completes: yes' : undefined;
    return [
      {
        scenario: '2 late-join sync',
        size: `M=${m}`,
        result: `${fmtMs(ms)} median of 3 (${joins.map((j) => fmtMs(j)).join(', ')})`,
        target,
        server: use.server,
        load: use.load,
      },
    ];
  },
});
