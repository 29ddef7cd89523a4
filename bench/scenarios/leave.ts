import { BENCH_KEY } from '../context.ts';
import { fmtMs, percentile, withTimeout } from '../stats.ts';
import { register } from './registry.ts';

const REMAIN_PRESENT_FOR = 1000;
const GAP_MS = 5;

/**
 * 4. Leave precision: K present clients (remainPresentFor = 1 s) have their TCP sockets destroyed one by one, 5 ms
 * apart; a watcher on the channel records each LEAVE. Error = leave received − socket killed − remainPresentFor.
 * Killer and watcher share one process, so both timestamps come from the same clock.
 */
register({
  name: 'leave',
  title: '4 leave precision',
  sizes: { quick: [50], full: [500] },
  async run(ctx, k) {
    const channel = 'leave';
    const server = await ctx.startServer();
    const [worker] = await ctx.startWorkers(1);
    if (!worker) throw new Error('no worker');
    const format = ctx.options.format;
    await worker.request('open', {
      port: server.port,
      key: BENCH_KEY,
      format,
      prefix: 'l',
      count: k + 1,
      channel,
      remainPresentFor: REMAIN_PRESENT_FOR,
    });
    await worker.request('enterOwn');
    await worker.request('recordLeaves', { channel });
    const mark = await ctx.mark(server.child, [worker]);
    const kills = await worker.request<Array<{ clientId: string; at: number }>>('kill', { from: 1, count: k, gapMs: GAP_MS });
    const killedAt = new Map(kills.map((x) => [x.clientId, x.at]));
    let leaves: Array<{ clientId: string; at: number }> = [];
    await withTimeout(
      (async () => {
        while (leaves.length < k) {
          await new Promise((r) => setTimeout(r, 100));
          leaves = await worker.request('leaves');
        }
      })(),
      30_000,
      `${k} leaves`,
    );
    const use = await ctx.since(mark, server.child, [worker]);
    const errors = leaves.map((l) => l.at - (killedAt.get(l.clientId) ?? Number.NaN) - REMAIN_PRESENT_FOR);
    const p50 = percentile(errors, 50);
    const p99 = percentile(errors, 99);
    return [
      {
        scenario: '4 leave precision',
        size: `${k} kills`,
        result: `p50 ${fmtMs(p50)}, p99 ${fmtMs(p99)}, min ${fmtMs(Math.min(...errors))}, max ${fmtMs(Math.max(...errors))}`,
        target: `p99 ≤ 50 ms: ${Math.abs(p99) <= 50 ? 'yes' : 'NO'}`,
        server: use.server,
        load: use.load,
      },
    ];
  },
});
