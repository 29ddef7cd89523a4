import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as Ably from 'ably';
import type { ProtocolMessage } from '../../src/protocol/index.ts';
import type { ServerOptions } from '../../src/server/create-server.ts';
import type { ChannelEvent, PublishOptions } from '../../src/store/broker.ts';
import { startServer, TEST_KEY, type TestServer } from '../helpers/server.ts';

/** Cluster timings shrunk for tests: a dead node is reaped within ~0.5 s. */
export const FAST_CLUSTER: ServerOptions = {
  nodeHeartbeatInterval: 100,
  nodeDownTimeout: 500,
  memberTtl: 5_000,
};

/** Starts `count` in-process nodes sharing one Redis (and one key prefix). */
export async function startNodes(
  t: TestContext,
  redisUrl: string,
  redisPrefix: string,
  count: number,
  overrides: ServerOptions = {},
): Promise<TestServer[]> {
  const nodes: TestServer[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push(await startServer(t, { redisUrl, redisPrefix, serverId: `node-${i}`, ...FAST_CLUSTER, ...overrides }));
  }
  return nodes;
}

/** A node as a separate process (the compiled CLI, `bin/rollcall.js --redis`), so a test can kill -9 it. */
export interface NodeProcess {
  port: number;
  process: ChildProcess;
  kill(): Promise<void>;
}

// The compiled server, as `npm start` runs it; this also runs the Lua scripts as dist/ holds them.
const MAIN = fileURLToPath(new URL('../../bin/rollcall.js', import.meta.url));

export async function spawnNode(t: TestContext, redisUrl: string, settings: Record<string, unknown>): Promise<NodeProcess> {
  const file = join(tmpdir(), `rollcall-node-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ keys: [TEST_KEY], ...settings }));
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--host', '127.0.0.1', '--redis', redisUrl, '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  t.after(kill);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`node exited early (${code}): ${stderr.slice(-800)}`)));
  });
  return { port, process: child, kill };
}

/** An Ably realtime client for a port; closed at test end. */
export function clientFor(t: TestContext, port: number, options: Ably.ClientOptions = {}): Ably.Realtime {
  const client = new Ably.Realtime({
    key: TEST_KEY,
    endpoint: 'localhost',
    port,
    tls: false,
    logLevel: 0,
    ...options,
  });
  t.after(() => client.close());
  return client;
}

/**
 * A TCP load balancer stand-in: clients connect to `port`; each new connection goes to the current target. A test
 * can switch the target, drop every open connection (as a network cut) and hold new ones until released.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private held: Socket[] | undefined;
  private muted = false;
  port = 0;

  constructor(private target: number) {
    this.server = createServer((socket) => {
      if (this.held) this.held.push(socket);
      else this.pipe(socket);
    });
  }

  async listen(t: { after(fn: () => unknown): void }): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
    t.after(() => {
      this.dropAll();
      for (const s of this.held ?? []) s.destroy();
      this.server.close();
    });
  }

  route(port: number): void {
    this.target = port;
  }

  /** Cuts every open connection at once (both directions), as a network failure would. */
  dropAll(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  /** New connections wait (unanswered) until {@link release}. */
  hold(): void {
    this.held ??= [];
  }

  /**
   * Stops passing what servers send to clients (clients' frames still go through), so requests are served but
   * their answers are lost, as when a node dies after acting and before its reply left.
   */
  mute(): void {
    this.muted = true;
  }

  unmute(): void {
    this.muted = false;
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const s of held) this.pipe(s);
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.target, '127.0.0.1');
    this.open.add(client);
    this.open.add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!this.muted) client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.open.delete(client);
      this.open.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  }
}

/** Presence events of one channel seen by a client, with a way to wait for a condition over them. */
export class PresenceLog {
  readonly events: Ably.PresenceMessage[] = [];
  private waiters: Array<() => void> = [];

  constructor(channel: Ably.RealtimeChannel) {
    channel.presence.subscribe((m) => {
      this.events.push(m);
      for (const w of this.waiters) w();
    });
  }

  count(action: string): number {
    return this.events.filter((e) => e.action === action).length;
  }

  until(check: (events: Ably.PresenceMessage[]) => boolean): Promise<void> {
    if (check(this.events)) return Promise.resolve();
    return new Promise((resolve) => {
      const w = () => {
        if (!check(this.events)) return;
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve();
      };
      this.waiters.push(w);
    });
  }
}

/** Sorted member keys of a presence.get() result, for comparing sets. */
/** The node's `/ready` status code (503 while it cannot reach Redis). */
export const readyStatus = async (n: TestServer): Promise<number> => (await fetch(`http://127.0.0.1:${n.port}/ready`)).status;

/** Resolves the next time the node announces its Redis link `up` (true) or down (false). */
export const linkIs = (n: TestServer, up: boolean): Promise<void> =>
  new Promise<void>((resolve) => {
    const on = (state: boolean) => {
      if (state !== up) return;
      n.server.node.events.off('cluster-link', on);
      resolve();
    };
    n.server.node.events.on('cluster-link', on);
  });

export const memberKeys = (members: Ably.PresenceMessage[]): string[] =>
  members.map((m) => `${m.clientId}:${m.connectionId}`).sort();

/**
 * Holds `server`'s next broker publish that `matches` right after the broker step (numbered, delivered and stored
 * in that one step): nothing the node does next happens until `release`, never for a node that "dies". `passed`
 * resolves when the publish gets there. How the repros of issue 16 stand for a node dying, or lagging, mid-publish.
 */
export function stallAfterBrokerStep(
  server: TestServer,
  matches: (message: ProtocolMessage) => boolean,
): { passed: Promise<void>; release(): void } {
  const broker = server.server.node.broker;
  const publishStep = broker.publish.bind(broker);
  let passed!: () => void;
  let release!: () => void;
  const passedP = new Promise<void>((resolve) => (passed = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  let armed = true;
  broker.publish = async (key: string, message: ProtocolMessage, origin?: string, options?: PublishOptions) => {
    const event: ChannelEvent = await publishStep(key, message, origin, options);
    if (!armed || !matches(message)) return event;
    armed = false;
    passed();
    await released;
    return event;
  };
  return { passed: passedP, release };
}
