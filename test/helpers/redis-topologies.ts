import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { startRedis } from './redis.ts';

const run = promisify(execFile);

/**
 * `count` distinct free ports on 127.0.0.1: all are held open until every one is chosen, so the OS cannot hand the
 * same port out twice (as it can to consecutive one-at-a-time probes).
 */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((srv) => (srv.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  }
}

/**
 * A Redis deployment owned by one test file, as the server sees it (`url`), whatever its shape: one server, a
 * 3-master Redis Cluster, or a master + replica watched by 3 sentinels. Every process is started by the test on free
 * ports in its own temporary directory and stopped when the suite ends.
 */
export interface TestRedisBackend {
  /** `single`, `cluster` or `sentinel` (also in test names). */
  readonly name: RedisTopology;
  /** What `--redis` is given. */
  readonly url: string;
  /** Stops every data server (no persistence: the data is gone); sentinels keep running. */
  stop(): Promise<void>;
  /** Starts them again, empty, on the same ports, and waits until the deployment serves again. */
  start(): Promise<void>;
  /** A unique key prefix for one test; its keys are deleted when that test ends. */
  prefix(t: TestContext): string;
  /** Ports of the data servers that are masters now (in a cluster: every shard's master). */
  masters(): Promise<number[]>;
  /** The port of the master that holds `key` now (in a cluster: the master of its slot). */
  masterFor(key: string): Promise<number>;
  /** Kills (SIGKILL) the data server on `port`, as a crash. */
  crash(port: number): Promise<void>;
  /**
   * Sentinel only: swaps master and replica with REPLICAOF, as an operator would, then points the sentinels at the
   * new master. No sentinel failover: nobody disconnects the old master's clients, whose writes are answered
   * READONLY from then on. Resolves with the old master's port once the sentinels agree.
   */
  demote?(): Promise<number>;
}

export type RedisTopology = 'single' | 'cluster' | 'sentinel';

/**
 * The topologies the cluster suites run on. `ROLLCALL_REDIS_TOPOLOGIES=single,cluster` narrows the list (for a quick
 * local run); CI runs them all.
 */
export function redisTopologies(): RedisTopology[] {
  const all: RedisTopology[] = ['single', 'cluster', 'sentinel'];
  const wanted = process.env.ROLLCALL_REDIS_TOPOLOGIES;
  if (!wanted) return all;
  return all.filter((t) => wanted.split(',').includes(t));
}

/** Starts the deployment of that shape; torn down when the suite (`t`) ends. */
export async function startRedisBackend(
  t: { after(fn: () => unknown): void },
  topology: RedisTopology,
): Promise<TestRedisBackend> {
  if (topology === 'cluster') return startRedisCluster(t);
  if (topology === 'sentinel') return startRedisSentinel(t);
  const single = await startRedis(t);
  return {
    name: 'single',
    url: single.url,
    stop: single.stop,
    start: single.start,
    prefix: single.prefix,
    masters: async () => [single.port],
    masterFor: async () => single.port,
    crash: async () => single.stop(),
  };
}

/** One `redis-server` process with fixed arguments, restartable on its port. */
class RedisProcess {
  private proc: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly args: () => string[],
    private readonly ready = 'Ready to accept connections',
  ) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('redis-server', this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
      this.proc = child;
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes(this.ready)) {
          child.stdout?.off('data', onData);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
      child.once('exit', (code) => reject(new Error(`redis-server :${this.port} exited (${code}): ${out.slice(-500)}`)));
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.proc;
    this.proc = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

// A bounded wait: a server that accepts but never answers must fail the waiting check, not hang it.
const cli = async (port: number, ...args: string[]): Promise<string> =>
  (await run('redis-cli', ['-p', String(port), ...args], { timeout: 5_000 })).stdout;

/**
 * Waits until `check` holds, asking again every 50 ms (an external process's state has no event to wait on),
 * failing after `within` ms with `what`.
 */
async function waitFor(what: string, check: () => Promise<boolean>, within = 20_000): Promise<void> {
  const deadline = Date.now() + within;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const dataArgs = (port: number) => [
  ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  // A replica's full sync starts at once (the default waits 5 s for more replicas to share one transfer).
  ...['--repl-diskless-sync-delay', '0'],
];

/** Deletes every key under `prefix` on one server with redis-cli (no client from the code under test). */
function deletePrefixOn(port: number, prefix: string): void {
  try {
    const keys = execFileSync('redis-cli', ['-p', String(port), '--scan', '--pattern', `${prefix}*`])
      .toString()
      .split('\n');
    const input = keys
      .filter((k) => k !== '')
      .map((k) => `DEL "${k.replace(/(["\\])/g, '\\$1')}"\n`)
      .join('');
    if (input) execFileSync('redis-cli', ['-p', String(port)], { input, stdio: ['pipe', 'ignore', 'ignore'] });
  } catch {
    // The server may be stopped already: its data is gone with it.
  }
}

function prefixer(ports: () => number[]) {
  return (tc: TestContext): string => {
    const prefix = `t${randomBytes(4).toString('hex')}:`;
    tc.after(() => {
      for (const p of ports()) deletePrefixOn(p, prefix);
    });
    return prefix;
  };
}

/**
 * A Redis Cluster of 3 masters (`replicas` replicas each), created with `redis-cli --cluster create`. A short
 * cluster-node-timeout (1 s) makes failure detection and replica promotion fast.
 */
export async function startRedisCluster(t: { after(fn: () => unknown): void }, replicas = 0): Promise<TestRedisBackend> {
  const count = 3 * (1 + replicas);
  // The cluster bus port is chosen free too: Redis's default (port + 10000) may be in use by anything, and a node
  // that cannot bind it aborts.
  const chosen = await freePorts(2 * count);
  const ports = chosen.slice(0, count);
  const busPorts = chosen.slice(count);
  const dirs = ports.map(() => mkdtempSync(join(tmpdir(), 'rollcall-cluster-')));
  const procs = ports.map(
    (port, i) =>
      new RedisProcess(port, () => [
        ...dataArgs(port),
        '--cluster-enabled',
        'yes',
        '--cluster-port',
        String(busPorts[i]),
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '1000',
        // A replica may be promoted however long ago it last heard from its master (a test kills masters early).
        '--cluster-replica-validity-factor',
        '0',
        '--dir',
        dirs[i] as string,
      ]),
  );
  const stopAll = async () => {
    await Promise.all(procs.map((p) => p.stop()));
  };
  t.after(async () => {
    await stopAll();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const live = new Set(ports);
  const waitOk = () =>
    waitFor('cluster_state:ok and every replica in sync', async () => {
      for (const p of live) {
        if (!(await cli(p, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        const replication = await cli(p, 'INFO', 'replication');
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
      }
      return true;
    });
  // If the deployment cannot start (a port taken meanwhile), nothing of it is left running: a failure while the
  // test file loads may not reach its after hooks.
  await Promise.all(procs.map((p) => p.start())).catch(async (err) => {
    await stopAll();
    throw err;
  });
  await run('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((p) => `127.0.0.1:${p}`),
    '--cluster-replicas',
    String(replicas),
    '--cluster-yes',
  ]);
  await waitOk();
  const masters = async () => {
    const out: number[] = [];
    for (const p of live) {
      if ((await cli(p, 'ROLE').catch(() => '')).startsWith('master')) out.push(p);
    }
    return out;
  };
  return {
    name: 'cluster',
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    stop: stopAll,
    async start() {
      // Each node keeps its identity and slots in nodes.conf: restarted, they form the same cluster again, empty.
      await Promise.all(procs.map((p) => p.start()));
      for (const p of ports) live.add(p);
      await waitOk();
    },
    prefix: prefixer(() => [...live]),
    masters,
    async masterFor(key) {
      const any = [...live][0] as number;
      const slot = Number((await cli(any, 'CLUSTER', 'KEYSLOT', key)).trim());
      for (const line of (await cli(any, 'CLUSTER', 'NODES')).trim().split('\n')) {
        const [, address = '', flags = '', , , , , , ...slots] = line.split(' ');
        if (!flags.includes('master') || flags.includes('fail')) continue;
        for (const range of slots) {
          const [from, to = from] = range.split('-').map(Number);
          if (from !== undefined && to !== undefined && slot >= from && slot <= to) return Number(address.split(/[:@]/)[1]);
        }
      }
      throw new Error(`no master holds slot ${slot}`);
    },
    async crash(port) {
      live.delete(port);
      await procs[ports.indexOf(port)]?.stop('SIGKILL');
    },
  };
}

/** Name of the master the test sentinels watch. */
export const SENTINEL_MASTER = 'rollcall';

/** `name value` pairs of a redis-cli reply to a SENTINEL command that lists instances, one map per instance. */
function sentinelInstances(reply: string): Array<Map<string, string>> {
  const lines = reply.trim().split('\n');
  const out: Array<Map<string, string>> = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    if (lines[i] === 'name' || out.length === 0) out.push(new Map());
    out[out.length - 1]?.set(lines[i] as string, lines[i + 1] as string);
  }
  return out;
}

/**
 * A master and one replica watched by 3 sentinels (quorum 2, down after 1 s, failover timeout 3 s), each sentinel
 * with its own generated config file. The URL names the sentinels; the server finds the master through them.
 *
 * Start-up waits for the replica to be in sync before any sentinel starts, and the sentinels' files name their
 * replica and each other (fixed ids), so they agree from their first second instead of discovering each other
 * over hello messages (2 s) and the replica over INFO (10 s). It ends only when every sentinel names the same
 * master, sees the replica and the other two sentinels connected, and CKQUORUM says a failover can be authorized:
 * a crash right after start-up is then always promoted.
 */
export async function startRedisSentinel(t: { after(fn: () => unknown): void }): Promise<TestRedisBackend> {
  const [masterPort = 0, replicaPort = 0, ...sentinelPorts] = await freePorts(5);
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-sentinel-'));
  const data = [masterPort, replicaPort];
  const procs = new Map<number, RedisProcess>();
  // Who replicates whom changes with failovers: a restarted server rejoins as a replica of the current master.
  let master = masterPort;
  for (const port of data) {
    procs.set(
      port,
      new RedisProcess(port, () => [
        ...dataArgs(port),
        // A replica's full sync writes an RDB file: into the temporary directory, not the working directory.
        '--dir',
        dir,
        '--dbfilename',
        `dump-${port}.rdb`,
        ...(port === master ? [] : ['--replicaof', '127.0.0.1', String(master)]),
      ]),
    );
  }
  const ids = sentinelPorts.map(() => randomBytes(20).toString('hex'));
  const sentinels = sentinelPorts.map((port, i) => {
    const file = join(dir, `sentinel-${i}.conf`);
    const others = sentinelPorts.flatMap((p, j) =>
      j === i ? [] : [`sentinel known-sentinel ${SENTINEL_MASTER} 127.0.0.1 ${p} ${ids[j]}`],
    );
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel myid ${ids[i]}`,
        `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER} 3000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
        `sentinel known-replica ${SENTINEL_MASTER} 127.0.0.1 ${replicaPort}`,
        ...others,
        '',
      ].join('\n'),
    );
    return new RedisProcess(port, () => [file, '--sentinel'], '+monitor master');
  });
  const all = [...procs.values(), ...sentinels];
  t.after(async () => {
    await Promise.all(all.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  const masterNamedBy = async (sentinel: number) => {
    const reply = await cli(sentinel, 'SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER);
    return Number(reply.trim().split('\n')[1]);
  };
  const currentMaster = () => masterNamedBy(sentinelPorts[0] as number);
  const replicaInSync = () =>
    waitFor('the replica in sync with the master', async () =>
      /slave0:.*state=online/.test(await cli(master, 'INFO', 'replication')),
    );
  const sentinelsAgree = () =>
    waitFor('every sentinel watching the master, its replica and the other sentinels', async () => {
      for (const s of sentinelPorts) {
        if ((await masterNamedBy(s)) !== master) return false;
        const [watched] = sentinelInstances(await cli(s, 'SENTINEL', 'master', SENTINEL_MASTER));
        if (watched?.get('flags') !== 'master') return false;
        const replicas = sentinelInstances(await cli(s, 'SENTINEL', 'replicas', SENTINEL_MASTER));
        if (replicas.length !== 1 || replicas[0]?.get('flags') !== 'slave') return false;
        if (replicas[0]?.get('master-link-status') !== 'ok') return false;
        const peers = sentinelInstances(await cli(s, 'SENTINEL', 'sentinels', SENTINEL_MASTER));
        if (peers.length !== 2 || !peers.every((p) => p.get('flags') === 'sentinel')) return false;
        if (!(await cli(s, 'SENTINEL', 'ckquorum', SENTINEL_MASTER)).startsWith('OK')) return false;
      }
      return true;
    });
  try {
    await procs.get(masterPort)?.start();
    await procs.get(replicaPort)?.start();
    await replicaInSync();
    await Promise.all(sentinels.map((s) => s.start()));
    for (const s of sentinelPorts) {
      // A sentinel promotes only a replica whose INFO it read in the last 5 s, and reads it every 10 s until the
      // master is down: a crash 5-10 s after its last read would abort the first failover ("no good slave") and
      // the retry waits 2 × failover-timeout. Read it every second instead. A sentinel whose timer stalls for 2 s
      // (a loaded machine) stops acting for the tilt period: 3 s rather than 30.
      await cli(s, 'SENTINEL', 'DEBUG', 'info-period', '1000', 'tilt-period', '3000');
    }
    await sentinelsAgree();
  } catch (err) {
    // Nothing left running if it cannot start (see startRedisCluster).
    await Promise.all(all.map((p) => p.stop()));
    throw err;
  }
  return {
    name: 'sentinel',
    url: `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${SENTINEL_MASTER}`,
    async stop() {
      await Promise.all(data.map((p) => procs.get(p)?.stop()));
    },
    async start() {
      master = await currentMaster();
      await procs.get(master)?.start();
      for (const p of data) if (p !== master) await procs.get(p)?.start();
      await replicaInSync();
      await sentinelsAgree();
    },
    prefix: prefixer(() => data),
    masters: async () => [await currentMaster()],
    masterFor: () => currentMaster(),
    async crash(port) {
      // The sentinels promote the replica; what follows a crash is theirs to decide (start() asks them).
      await procs.get(port)?.stop('SIGKILL');
    },
    async demote() {
      const old = await currentMaster();
      const next = data.find((p) => p !== old) as number;
      await cli(next, 'REPLICAOF', 'NO', 'ONE');
      for (const s of sentinelPorts) {
        await cli(s, 'SENTINEL', 'REMOVE', SENTINEL_MASTER);
        await cli(s, 'SENTINEL', 'MONITOR', SENTINEL_MASTER, '127.0.0.1', String(next), '2');
        await cli(s, 'SENTINEL', 'SET', SENTINEL_MASTER, 'down-after-milliseconds', '1000', 'failover-timeout', '3000');
      }
      master = next;
      await cli(old, 'REPLICAOF', '127.0.0.1', String(next));
      await replicaInSync();
      await sentinelsAgree();
      return old;
    },
  };
}

/**
 * Starts one deployment per topology (see {@link redisTopologies}) at a test file's load time, before any test is
 * declared, so their teardown belongs to the whole file. Empty when `skip` (no redis-server here).
 */
export async function startRedisBackends(
  after: (fn: () => unknown) => void,
  skip: string | false,
  topologies: RedisTopology[] = redisTopologies(),
): Promise<Array<[RedisTopology, TestRedisBackend]>> {
  const out: Array<[RedisTopology, TestRedisBackend]> = [];
  for (const topology of topologies) {
    // A skipped suite never reads its backend; the placeholder only keeps one describe per topology.
    out.push([topology, skip ? ({ name: topology } as TestRedisBackend) : await startRedisBackend({ after }, topology)]);
  }
  return out;
}
