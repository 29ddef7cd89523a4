import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Config, KeyConfig } from '../config/index.ts';

export const HELP = `Usage: rollcall [options]

Self-hosted realtime presence server speaking Ably's realtime protocol (v6) and REST API.

Options (flags win over environment variables):
  --port N              Port for HTTP and WebSocket        env ROLLCALL_PORT   (default 8080)
  --host ADDR           Interface to bind                  env ROLLCALL_HOST   (default 0.0.0.0)
  --key APP.KEY:SECRET  API key; repeat for several        env ROLLCALL_KEYS   (comma-separated)
                        With no key, a random one is generated and printed.
  -h, --help            Show this help

Every key may use every channel (capability {"*":["*"]}). Each key's app id is its own namespace.
`;

export interface CliResult {
  config?: Partial<Config>;
  help?: boolean;
  /** Keys generated because none was configured; printed in full so the user can connect. */
  generatedKey?: string;
}

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${value}"`);
  return n;
}

/** argv + env → partial Config. Throws an Error with a readable message on bad input. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliResult {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      key: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return { help: true };
  const keyStrings =
    values.key ??
    (env.ROLLCALL_KEYS
      ? env.ROLLCALL_KEYS.split(',')
          .map((k) => k.trim())
          .filter(Boolean)
      : []);
  let generatedKey: string | undefined;
  if (keyStrings.length === 0) {
    generatedKey = `rollcall.${randomBytes(3).toString('hex')}:${randomBytes(18).toString('base64url')}`;
    keyStrings.push(generatedKey);
  }
  const keys: KeyConfig[] = keyStrings.map((key) => ({ key }));
  return {
    generatedKey,
    config: {
      port: intOption('--port', values.port ?? env.ROLLCALL_PORT),
      host: values.host ?? env.ROLLCALL_HOST,
      keys,
    },
  };
}
