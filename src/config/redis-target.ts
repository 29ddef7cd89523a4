/** One Redis server address. */
export interface RedisAddress {
  host: string;
  port: number;
}

/** What the `redisUrl` setting names: one server, a Redis Cluster (by seed nodes), or a Sentinel-managed master. */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: RedisAddress[]; tls: boolean; username?: string; password?: string }
  | {
      kind: 'sentinel';
      sentinels: RedisAddress[];
      /** The master's name as the sentinels know it (`sentinel monitor <name> ...`). */
      name: string;
      db: number;
      tls: boolean;
      username?: string;
      password?: string;
    };

const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;

/**
 * Parses the `redisUrl` setting:
 * - `redis://[user:pass@]host:port[/db]` or `rediss://…`: one server;
 * - `redis+cluster://[user:pass@]host:port,host:port` (`rediss+cluster://` for TLS), or a list of `redis://host:port`
 *   URLs (a config file's list of seed nodes): a Redis Cluster, found through any of the seeds;
 * - `redis+sentinel://[user:pass@]host:port,host:port/mastername[/db]` (`rediss+sentinel://`): the master the
 *   sentinels name, followed across failovers. Credentials are the master's; sentinels are asked without them.
 * Throws an Error naming what is wrong.
 */
export function parseRedisTarget(setting: string | string[]): RedisTarget {
  if (Array.isArray(setting)) {
    if (setting.length === 0 || !setting.every((s) => typeof s === 'string')) {
      throw new Error('config: redisUrl as a list must hold the cluster seed nodes as redis://host:port strings');
    }
    const seeds = setting.map((s) => parseRedisTarget(s));
    const nodes = seeds.flatMap((s) => {
      if (s.kind === 'single') return [addressOf(s.url)];
      if (s.kind === 'cluster') return s.nodes;
      throw new Error('config: a redisUrl list holds cluster seed nodes, not sentinels');
    });
    const first = seeds[0] as RedisTarget;
    const creds = first.kind === 'single' ? credentialsOf(first.url) : {};
    return { kind: 'cluster', nodes, tls: setting.some((s) => s.startsWith('rediss')), ...creds };
  }
  if (typeof setting !== 'string') throw new Error('config: redisUrl must be a string or a list of strings');
  const m = /^(rediss?)(\+cluster|\+sentinel)?:\/\/(?:([^@/]*)@)?([^/]+)(\/.*)?$/.exec(setting);
  if (!m) {
    throw new Error(
      'config: redisUrl must be redis://host:port, redis+cluster://host:port,… or redis+sentinel://host:port,…/name',
    );
  }
  const [, scheme, mode, userinfo, hosts = '', path] = m as unknown as Array<string | undefined>;
  const tls = scheme === 'rediss';
  const creds = parseUserinfo(userinfo);
  if (!mode) {
    if (hosts.includes(',')) throw new Error('config: redisUrl with several hosts needs redis+cluster:// or redis+sentinel://');
    return { kind: 'single', url: setting };
  }
  if (mode === '+cluster') {
    if (path && path !== '/') throw new Error('config: a redis+cluster:// URL takes no path (a cluster has one database)');
    return { kind: 'cluster', nodes: parseHosts(hosts, DEFAULT_PORT), tls, ...creds };
  }
  const parts = (path ?? '').split('/').filter((p) => p !== '');
  const [name, db = '0'] = parts;
  if (!name || parts.length > 2 || !/^\d+$/.test(db)) {
    throw new Error('config: a redis+sentinel:// URL ends with /mastername (and optionally /db)');
  }
  return {
    kind: 'sentinel',
    sentinels: parseHosts(hosts, DEFAULT_SENTINEL_PORT),
    name: decodeURIComponent(name),
    db: Number(db),
    tls,
    ...creds,
  };
}

/** The target with any password masked, for logs. */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (a: RedisAddress[]) => a.map((n) => `${n.host}:${n.port}`).join(',');
  if (target.kind === 'single') return target.url.replace(/\/\/[^@]*@/, '//***@');
  if (target.kind === 'cluster') return `redis+cluster://${list(target.nodes)}`;
  return `redis+sentinel://${list(target.sentinels)}/${target.name}`;
}

function parseHosts(hosts: string, defaultPort: number): RedisAddress[] {
  return hosts.split(',').map((h) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h.trim());
    const port = Number(m?.[2] ?? defaultPort);
    if (!m?.[1] || port < 1 || port > 65535) throw new Error(`config: redisUrl has a bad host:port "${h}"`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port };
  });
}

function parseUserinfo(userinfo: string | undefined): { username?: string; password?: string } {
  if (!userinfo) return {};
  const colon = userinfo.indexOf(':');
  if (colon < 0) return { username: decodeURIComponent(userinfo) };
  const username = decodeURIComponent(userinfo.slice(0, colon));
  const password = decodeURIComponent(userinfo.slice(colon + 1));
  return { ...(username ? { username } : {}), password };
}

function addressOf(url: string): RedisAddress {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || DEFAULT_PORT) };
}

function credentialsOf(url: string): { username?: string; password?: string } {
  const m = /^rediss?:\/\/([^@/]*)@/.exec(url);
  return parseUserinfo(m?.[1]);
}
