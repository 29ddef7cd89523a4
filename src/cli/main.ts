import { parseApiKey } from '../auth/api-key.ts';
import { createServer } from '../server/create-server.ts';
import { HELP, parseCli } from './args.ts';

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`rollcall: ${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(HELP);
    return;
  }
  let server: ReturnType<typeof createServer>;
  try {
    server = createServer({ ...parsed.config, log: (m) => console.error(`[rollcall] ${m}`) });
  } catch (err) {
    console.error(`rollcall: ${(err as Error).message}`);
    process.exit(2);
  }
  const address = await server.listen();
  const host = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.address;
  // Key names only: secrets never go to logs. A generated key is the exception, or nobody could connect.
  const names = server.config.keys.map((k) => parseApiKey(k.key)?.name).join(', ');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`rollcall: ${signal} received, draining clients`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Printed only once the signal handlers are in place: a supervisor may signal as soon as it sees this line.
  console.log(`rollcall listening on http://${host}:${address.port} (ws://${host}:${address.port}/) keys: ${names}`);
  if (parsed.generatedKey) console.log(`generated key (pass --key to choose your own): ${parsed.generatedKey}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
