import { BENCH_KEY, split } from '../context.ts';
import { withTimeout } from '../stats.ts';
import { register } from './registry.ts';

const ROOM = 10;
/** Connections per load process: each needs a file descriptor, and the limit here is 20,000 per process. */
const PER_WORKER = 7_000;

/**
 * 3. Idle capacity: C connections, each present on a channel (rooms of 10, so entering costs 10 events per member,
 * not C). Server memory per present connection = (RSS and heap after a full GC, minus the empty server's) / C.
 * C tops out below the per-process file-descriptor limit (the server holds one fd per connection).
 */
register({
  name: 'idle',
  title: '3 idle capacity',
  sizes: { quick: [1000], full: [1000, 5000, 10_000, 19_000] },
  async run(ctx, c) {
    const server = await ctx.startServer();
    const base = await server.child.gc();
    const workers = await ctx.startWorkers(Math.ceil(c / PER_WORKER));
    const counts = split(c, workers.length);
    const mark = await ctx.mark(server.child, workers);
    let offset = 0;
    await withTimeout(
      Promise.all(
        workers.map((w, i) => {
          const args = { port: server.port, key: BENCH_KEY, format: ctx.options.format, prefix: `i${i}-`, count: counts[i] };
          const p = w
            .request('open', { ...args, channel: 'room', roomSize: ROOM, offset, concurrency: 128 })
            .then(() => w.request('enterOwn'));
          offset += counts[i] as number;
          return p;
        }),
      ),
      300_000,
      `idle ${c}`,
    );
    const use = await ctx.since(mark, server.child, workers);
    const after = await server.child.gc();
    const rssPer = (after.rss - base.rss) / c;
    const heapPer = (after.heapUsed - base.heapUsed) / c;
    const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
    const target = c === 10_000 ? `≤ 10 KB: ${rssPer <= 10_240 ? 'yes' : 'NO'}` : undefined;
    return [
      {
        scenario: '3 idle capacity',
        size: `C=${c}`,
        result: `${kb(rssPer)} RSS/conn, ${kb(heapPer)} heap/conn (RSS ${(after.rss / 1048576).toFixed(0)} MB)`,
        target,
        server: use.server,
        load: use.load,
      },
    ];
  },
});
