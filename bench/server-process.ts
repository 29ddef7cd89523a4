import { createServer, type ServerOptions } from '../src/server/create-server.ts';
import { serveStats } from './process-stats.ts';
import { countRedisCalls, redisCallCounts } from './redis-call-counter.ts';

/**
 * The Rollcall server under test, alone in its own process. argv[2] is a JSON ServerOptions (port 0, bench key,
 * relaxed rate limits). Reports `{ ready, port }` over IPC, then answers stats requests. With `--count-redis`
 * (argv[3]) it also counts the Redis commands it sends and answers `redisCalls` with the counts so far.
 */
const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions;
if (process.argv[3] === '--count-redis') {
  countRedisCalls();
  process.on('message', (msg: { op?: string; id?: number }) => {
    if (msg.op === 'redisCalls') process.send?.({ id: msg.id, result: redisCallCounts() });
  });
}
const server = createServer({ host: '127.0.0.1', port: 0, ...options, log: (m) => process.stderr.write(`[server] ${m}\n`) });
serveStats();
server.listen().then(({ port }) => process.send?.({ ready: true, port }));
