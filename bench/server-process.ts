import { createServer, type ServerOptions } from '../src/server/create-server.ts';
import { serveStats } from './process-stats.ts';

/**
 * The Rollcall server under test, alone in its own process. argv[2] is a JSON ServerOptions (port 0, bench key,
 * relaxed rate limits). Reports `{ ready, port }` over IPC, then answers stats requests.
 */
const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions;
const server = createServer({ host: '127.0.0.1', port: 0, ...options, log: (m) => process.stderr.write(`[server] ${m}\n`) });
serveStats();
server.listen().then(({ port }) => process.send?.({ ready: true, port }));
