import { fmtMs, fmtRate } from '../stats.ts';
import { register } from './registry.ts';
import { openAll, storm } from './storm.ts';

const OCCUPANCY_PARAMS = { occupancy: 'metrics' };

/**
 * 9. Occupancy events: the presence storm of scenario 1, once with no occupancy listener and once with every client
 * attached with `occupancy=metrics` (a Chat room where everyone shows the room's counts). What the events cost on
 * top of the storm (server CPU, time), and how many each client got: changes are merged per
 * occupancyEventInterval (250 ms), so a client gets about one per interval of the storm, not one per enter.
 */
register({
  name: 'occupancy',
  title: '9 occupancy events',
  sizes: { quick: [250, 500], full: [500, 1000, 2000] },
  async run(ctx, n) {
    const channel = 'occupancy';
    const rows = [];
    for (const occupancy of [false, true]) {
      const server = await ctx.startServer();
      const workers = await ctx.startWorkers(2);
      const counts = await openAll(workers, n, server.port, ctx, false, channel, occupancy ? OCCUPANCY_PARAMS : undefined);
      const received = async () =>
        (await Promise.all(workers.map((w) => w.request<{ events: number }>('occupancyEvents', {})))).reduce(
          (s, r) => s + r.events,
          0,
        );
      const before = await received();
      const m = await ctx.mark(server.child, workers);
      const ours = await storm(workers, counts, n, channel);
      const use = await ctx.since(m, server.child, workers);
      // Events during the storm (those of the attach phase before it are not counted).
      const events = (await received()) - before;
      await ctx.stopAll();
      rows.push({
        scenario: occupancy ? '9 storm + occupancy events' : '9 storm, no occupancy listeners',
        size: `N=${n}`,
        result: `${fmtMs(ours.ms)}, ${fmtRate((n * n * 1000) / ours.ms)} member-events${
          occupancy ? `, ${(events / n).toFixed(1)} occupancy events per client during it` : ''
        }`,
        server: use.server,
        load: use.load,
      });
    }
    return rows;
  },
});
