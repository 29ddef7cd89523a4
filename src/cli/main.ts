import { parseApiKey } from '../auth/api-key.ts';
import { LOG_LEVELS } from '../config/index.ts';
import { createLogger } from '../observability/logger.ts';
import { createServer, type RollcallServer } from '../server/create-server.ts';
import { systemClock } from '../time/clock.ts';
import { HELP, parseCli } from './args.ts';
import { runSandbox } from './sandbox.ts';
import { packageVersion } from './version.ts';

async function main(): Promise<void> {
  // `rollcall sandbox ...`: the test-app provisioner instead of a server (src/sandbox).
  if (process.argv[2] === 'sandbox') return runSandbox(process.argv.slice(3));
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    // A usage error: there is no server yet, so this is CLI output (with the usage), not a log record.
    console.error(`rollcall: ${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(HELP);
    return;
  }
  if (parsed.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  // The logger exists before the server, so a bad setting is reported as a log record too. An unknown level is
  // one of those settings: it is logged at info, and createServer refuses it.
  const wanted = parsed.config?.logLevel;
  const logger = await createLogger({
    level: wanted && LOG_LEVELS.includes(wanted) ? wanted : 'info',
    now: systemClock.now,
    pretty: process.stdout.isTTY === true,
  });
  let server: RollcallServer;
  try {
    server = createServer({ ...parsed.config, logger });
  } catch (err) {
    logger.fatal({}, `rollcall: ${(err as Error).message}`);
    process.exit(2);
  }
  let address: Awaited<ReturnType<RollcallServer['listen']>>;
  try {
    address = await server.listen();
  } catch (err) {
    logger.fatal({ err }, `rollcall: cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  const host = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.address;
  // Key names only: secrets never go to logs. A generated key is the exception, or nobody could connect.
  const keys = server.config.keys.map((k) => parseApiKey(k.key)?.name);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `rollcall: ${signal} received, draining clients`);
    server.close().then(
      () => {
        logger.info({}, 'rollcall: stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'rollcall: shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Logged only once the signal handlers are in place: a supervisor may signal as soon as it sees this line.
  const [http, ws] = server.tls ? ['https', 'wss'] : ['http', 'ws'];
  const url = `${http}://${host}:${address.port}`;
  logger.info(
    {
      url,
      port: address.port,
      tls: server.tls,
      keys,
      mode: server.config.redisUrl ? 'cluster' : 'single',
      version: packageVersion(),
    },
    `rollcall listening on ${url} (${ws}://${host}:${address.port}/) keys: ${keys.join(', ')}`,
  );
  if (parsed.generatedKey) {
    logger.info({ generatedKey: parsed.generatedKey }, `generated key (pass --key to choose your own): ${parsed.generatedKey}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
