import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config, KeyConfig } from '../config/index.ts';
import { parseConfigFile } from '../config/load-file.ts';

export const HELP = `Usage: rollcall [options]
       rollcall sandbox [options]   test-app sandbox for SDK test suites (rollcall sandbox --help)

Self-hosted realtime presence server speaking Ably's realtime protocol (v6) and REST API.

Options (flags win over environment variables):
  --port N              Port for HTTP and WebSocket        env ROLLCALL_PORT   (default 8080)
  --host ADDR           Interface to bind                  env ROLLCALL_HOST   (default 0.0.0.0)
  --key APP.KEY:SECRET  API key; repeat for several        env ROLLCALL_KEYS   (comma-separated)
                        With no key, a random one is generated and printed.
  --config FILE         JSON or YAML config file            env ROLLCALL_CONFIG
                        Any setting, plus keys with capabilities:
                          keys:
                            - key: app.server:SECRET          # capability {"*":["*"]}
                            - key: app.browser:SECRET
                              capability: {"chat:*": ["presence", "subscribe"]}
                          maxConnectionsPerKey: 1000
                        Flags and environment variables override the file; --key replaces its keys.
  --redis URL           Cluster mode: share presence, messages and history through env ROLLCALL_REDIS_URL
                        Redis. Every node uses the same URL: redis://host:port (one server),
                        redis+cluster://host:port,host:port (Redis Cluster seed nodes), or
                        redis+sentinel://host:port,host:port/mastername (Sentinel). rediss… for TLS.
  --tls-cert FILE       PEM certificate (chain)             env ROLLCALL_TLS_CERT
  --tls-key FILE        PEM private key of --tls-cert       env ROLLCALL_TLS_KEY
                        With both, the port serves HTTPS and WSS; SDKs keep tls: true (their default)
                        and set tlsPort. Both files are checked at start-up.
  --log-level LEVEL     Least severe level logged            env ROLLCALL_LOG_LEVEL  (default info)
                        fatal, error, warn, info, debug, trace or silent; debug adds a line per
                        connection opened, resumed, refused, disconnected or closed (with the reason).
                        Logs are JSON lines on stdout; on a terminal they are pretty-printed.
  --version             Print the version and exit
  -h, --help            Show this help

A key without a capability may use every channel ({"*":["*"]}). Each key's app id is its own namespace.
`;

export interface CliResult {
  config?: Partial<Config>;
  help?: boolean;
  version?: boolean;
  /** Keys generated because none was configured; printed in full so the user can connect. */
  generatedKey?: string;
}

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${value}"`);
  return n;
}

/**
 * argv + env (+ the config file they name, read with `readFile`) → partial Config. Precedence: flags, then
 * environment, then the file. Throws an Error with a readable message on bad input.
 */
export function parseCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): CliResult {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      key: { type: 'string', multiple: true },
      config: { type: 'string' },
      redis: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'log-level': { type: 'string' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return { help: true };
  if (values.version) return { version: true };
  const configPath = values.config ?? env.ROLLCALL_CONFIG;
  let file: Partial<Config> = {};
  if (configPath) {
    let text: string;
    try {
      text = readFile(configPath);
    } catch (err) {
      throw new Error(`cannot read config file ${configPath}: ${(err as Error).message}`);
    }
    file = parseConfigFile(text, configPath);
  }
  const keyStrings =
    values.key ??
    (env.ROLLCALL_KEYS
      ? env.ROLLCALL_KEYS.split(',')
          .map((k) => k.trim())
          .filter(Boolean)
      : []);
  let keys: KeyConfig[] = keyStrings.map((key) => ({ key }));
  if (keys.length === 0 && file.keys) keys = file.keys;
  let generatedKey: string | undefined;
  if (keys.length === 0) {
    generatedKey = `rollcall.${randomBytes(3).toString('hex')}:${randomBytes(18).toString('base64url')}`;
    keys.push({ key: generatedKey });
  }
  return {
    generatedKey,
    config: {
      ...file,
      port: intOption('--port', values.port ?? env.ROLLCALL_PORT) ?? file.port,
      host: values.host ?? env.ROLLCALL_HOST ?? file.host,
      redisUrl: values.redis ?? (env.ROLLCALL_REDIS_URL || undefined) ?? file.redisUrl,
      tlsCert: values['tls-cert'] ?? (env.ROLLCALL_TLS_CERT || undefined) ?? file.tlsCert,
      tlsKey: values['tls-key'] ?? (env.ROLLCALL_TLS_KEY || undefined) ?? file.tlsKey,
      // Checked against the known levels by resolveConfig, like every other setting.
      logLevel:
        ((values['log-level'] ?? (env.ROLLCALL_LOG_LEVEL || undefined)) as Config['logLevel'] | undefined) ?? file.logLevel,
      keys,
    },
  };
}
