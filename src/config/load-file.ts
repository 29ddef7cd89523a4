import { parse as parseYaml } from 'yaml';
import { parseCapability } from '../auth/capability.ts';
import { type Config, DEFAULT_CONFIG, type KeyConfig } from './config.ts';

// Settings with no default (optional ones) are listed by name.
const KNOWN = new Set<string>([
  ...Object.keys(DEFAULT_CONFIG),
  'keys',
  'serverId',
  'redisUrl',
  'tlsCert',
  'tlsKey',
  'dashboardToken',
  'metricsToken',
]);

/**
 * Parses the text of a config file (JSON when the name ends in `.json`, else YAML, which also reads JSON) into a
 * partial Config: any Config field, plus `keys` as a list of `{key, capability}` (capability as an object or a
 * JSON string; omitted means `{"*":["*"]}`) or bare key strings. Unknown fields are refused, so a typo is not
 * silently ignored. Values are checked later by resolveConfig. Throws an Error naming the file and the problem.
 */
export function parseConfigFile(text: string, fileName: string): Partial<Config> {
  let raw: unknown;
  try {
    raw = fileName.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new Error(`${fileName}: not valid ${fileName.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${fileName}: expected a mapping of settings`);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!KNOWN.has(name)) throw new Error(`${fileName}: unknown setting "${name}"`);
    out[name] = name === 'keys' ? parseKeys(value, fileName) : value;
  }
  return out as Partial<Config>;
}

function parseKeys(value: unknown, fileName: string): KeyConfig[] {
  if (!Array.isArray(value)) throw new Error(`${fileName}: keys must be a list`);
  return value.map((entry, i) => {
    if (typeof entry === 'string') return { key: entry };
    if (typeof entry !== 'object' || entry === null || typeof (entry as { key?: unknown }).key !== 'string') {
      throw new Error(`${fileName}: keys[${i}] needs a "key" string (APPID.KEYID:SECRET)`);
    }
    const { key, capability, revocableTokens, ...rest } = entry as {
      key: string;
      capability?: unknown;
      revocableTokens?: unknown;
    };
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new Error(`${fileName}: keys[${i}] has unknown field "${extra[0]}"`);
    if (revocableTokens !== undefined && typeof revocableTokens !== 'boolean') {
      throw new Error(`${fileName}: revocableTokens of keys[${i}] must be true or false`);
    }
    const flags = revocableTokens === undefined ? {} : { revocableTokens };
    if (capability === undefined) return { key, ...flags };
    const parsed = parseCapability(capability);
    // Name the key by its name only: the secret never goes into an error message that may be logged.
    if (!parsed)
      throw new Error(`${fileName}: capability of keys[${i}] (${key.split(':')[0]}) must map resources to lists of operations`);
    return { key, capability: parsed, ...flags };
  });
}
