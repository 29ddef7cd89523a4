import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseConfigFile } from '../config/load-file.ts';
import { createSandbox, DEFAULT_SANDBOX_OPTIONS, type SandboxOptions } from '../sandbox/index.ts';

export const SANDBOX_HELP = `Usage: rollcall sandbox [options]     (or: npm run sandbox -- [options])

Test-app sandbox for SDK test suites and your own integration tests. POST /apps boots an isolated Rollcall for a
new app (its own port, keys, presence fixtures) and answers {appId, keys, endpoint, port, tls}; DELETE
/apps/{appId} frees it; POST /stats stores stats fixtures. Point ably-js's suite at it with
ABLY_LOCAL_SANDBOX_URL=http://localhost:9010. Test tooling: do not expose it to the internet.

Options:
  --port N        Port of the provisioner           env ROLLCALL_SANDBOX_PORT (default ${DEFAULT_SANDBOX_OPTIONS.port})
  --host ADDR     Interface for it and every app    env ROLLCALL_SANDBOX_HOST (default ${DEFAULT_SANDBOX_OPTIONS.host})
  --config FILE   Settings for every app's server (the rollcall config file format; keys are ignored)
  -h, --help      Show this help
`;

/** argv + env → sandbox options. Throws an Error with a readable message on bad input. */
export function parseSandboxCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { help: true } | { help: false; options: Partial<SandboxOptions> } {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return { help: true };
  const options: Partial<SandboxOptions> = {};
  const port = values.port ?? env.ROLLCALL_SANDBOX_PORT;
  if (port !== undefined && port !== '') {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port must be 0..65535, got "${port}"`);
    options.port = n;
  }
  const host = values.host ?? env.ROLLCALL_SANDBOX_HOST;
  if (host) options.host = host;
  if (values.config) {
    const { keys: _ignored, ...server } = parseConfigFile(readFile(values.config), values.config);
    options.server = server;
  }
  return { help: false, options };
}

/** Runs the sandbox until SIGINT/SIGTERM. */
export async function runSandbox(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parseSandboxCli>;
  try {
    parsed = parseSandboxCli(argv, process.env);
  } catch (err) {
    console.error(`rollcall sandbox: ${(err as Error).message}\n\n${SANDBOX_HELP}`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(SANDBOX_HELP);
    return;
  }
  const sandbox = createSandbox(parsed.options);
  const address = await sandbox.listen();
  const stop = () => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`rollcall sandbox listening on http://${address.address}:${address.port} (POST /apps)`);
}
