import * as Ably from 'ably';
import { TcpProxy } from '../cluster/cluster-helpers.ts';
import { prng } from '../helpers/prng.ts';
import { TEST_KEY } from '../helpers/server.ts';

/**
 * Seeded presence chaos (issue 11): real `ably` SDK clients, each behind its own TCP proxy, do random enter / update
 * / leave while their network is cut (shorter and longer than `remainPresentFor`, sometimes moving them to another
 * node) and they close and reopen. Afterwards the server's set (REST), an observer that watched all along and a late
 * joiner must all equal the truth: the members whose last *acknowledged* operation was enter or update, with its
 * data. Each client draws its decisions from its own PRNG seeded from `seed`, so a seed replays the same script
 * (interleavings still vary with timing).
 */
export interface ChaosOptions {
  seed: number;
  clients: number;
  durationMs: number;
  /** Node ports; client i starts on node i % n, and a cut may move it to another. */
  ports: number[];
  remainPresentFor: number;
  channel: string;
  /** Registers teardown (a TestContext, or a script's own list). */
  after(fn: () => unknown): void;
  log?(line: string): void;
}

/**
 * Cluster timings for chaos runs: fast re-assertion (every 2 s) but a node-down timeout that a loaded 2-core machine
 * running 40 SDK clients and three nodes in one process does not trip by mere slowness (node death is not part of
 * this script; a wrongly reaped node heals by re-assertion anyway).
 */
export const CHAOS_CLUSTER = { nodeHeartbeatInterval: 200, nodeDownTimeout: 3_000, memberTtl: 6_000 };

/** memberKey (`clientId:connectionId`) → JSON of the member's data. */
export type PresenceView = Map<string, string>;

export interface ChaosReport {
  truth: PresenceView;
  rest: PresenceView;
  observer: PresenceView;
  lateJoiner: PresenceView;
  /** What the observer saw per member (action, id, timestamp, data), to explain a difference. */
  trail: Map<string, string[]>;
  stats: {
    acked: number;
    failed: string[];
    shortCuts: number;
    longCuts: number;
    moves: number;
    reopens: number;
    /** Automatic re-entries lost to a connection or channel state change (the SDK retries on the next ATTACHED). */
    stateLosses: string[];
    /** Connections that came back with a new connectionId (a resume the server refused): `clientId old→new (reason)`. */
    lostResumes: string[];
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function onceState(client: Ably.Realtime, state: Ably.ConnectionState): Promise<void> {
  if (client.connection.state === state) return Promise.resolve();
  return new Promise((resolve) => client.connection.once(state, () => resolve()));
}

const viewOf = (members: Ably.PresenceMessage[]): PresenceView =>
  new Map(members.map((m) => [`${m.clientId}:${m.connectionId}`, JSON.stringify(m.data)]));

const same = (a: PresenceView, b: PresenceView): boolean => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/** One simulated user device: its own proxy, client and script. */
class Actor {
  client!: Ably.Realtime;
  channel!: Ably.RealtimeChannel;
  private version = 0;
  private cutting: Promise<void> | undefined;
  readonly clientId: string;

  constructor(
    readonly index: number,
    private readonly proxy: TcpProxy,
    private readonly o: ChaosOptions,
    private readonly random: () => number,
    private readonly truth: PresenceView,
    private readonly stats: ChaosReport['stats'],
  ) {
    this.clientId = `user-${index}`;
    this.open();
  }

  open(): void {
    this.client = new Ably.Realtime({
      key: TEST_KEY,
      clientId: this.clientId,
      endpoint: 'localhost',
      port: this.proxy.port,
      tls: false,
      useBinaryProtocol: this.index % 2 === 0,
      logLevel: 0,
      disconnectedRetryTimeout: 100,
      transportParams: { remainPresentFor: this.o.remainPresentFor },
    });
    this.channel = this.client.channels.get(this.o.channel);
    const client = this.client;
    // An automatic re-entry that fails (RTP17e) surfaces only as a channel UPDATE with an error. One lost to the
    // connection or channel state (a new cut while it was in flight: causes 80xxx/90xxx) is retried by the SDK on
    // the next ATTACHED; one the server refused is a failure.
    this.channel.on('update', (change) => {
      const reason = change.reason;
      if (!reason) return;
      const cause = (reason as Ably.ErrorInfo & { cause?: Ably.ErrorInfo }).cause;
      const line = `${this.clientId} channel update: ${reason.code} ${reason.message} (cause ${cause?.code} ${cause?.message})`;
      if (cause?.code !== undefined && cause.code >= 80000 && cause.code < 91000) this.stats.stateLosses.push(line);
      else this.stats.failed.push(line);
    });
    let lastId: string | undefined;
    client.connection.on('connected', (change) => {
      const id = client.connection.id;
      if (lastId && id !== lastId) this.stats.lostResumes.push(`${this.clientId} ${lastId}→${id} (${change.reason?.message})`);
      lastId = id;
    });
    this.o.after(() => client.close());
  }

  async run(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const r = this.random();
      if (r < 0.2) await this.operate('enter');
      else if (r < 0.55) await this.operate('update');
      else if (r < 0.7) await this.operate('leave');
      else if (r < 0.85) this.cut();
      else if (r < 0.9) await this.reopen();
      await sleep(this.random() * 60);
    }
    await this.cutting;
  }

  /** The operation counts once the server ACKed it; its member is this client's current connection. */
  private async operate(action: 'enter' | 'update' | 'leave'): Promise<void> {
    // The SDK refuses to leave on a channel never attached (a fresh connection): nothing to leave there anyway.
    if (action === 'leave' && this.channel.state === 'initialized') return;
    const data = { v: ++this.version, by: this.clientId };
    try {
      await this.channel.presence[action](data);
    } catch (err) {
      this.stats.failed.push(`${this.clientId} ${action} v${data.v}: ${(err as Error).message}`);
      return;
    }
    this.stats.acked++;
    const key = `${this.clientId}:${this.client.connection.id}`;
    if (action === 'leave') this.truth.delete(key);
    else this.truth.set(key, JSON.stringify(data));
  }

  /** Drops the connection and holds new ones for a while; the script goes on meanwhile (operations queue). */
  private cut(): void {
    if (this.cutting) return;
    const long = this.random() < 0.5;
    const R = this.o.remainPresentFor;
    const ms = long ? R + 300 + this.random() * R : 50 + this.random() * (R / 2 - 50);
    if (long) this.stats.longCuts++;
    else this.stats.shortCuts++;
    if (this.o.ports.length > 1 && this.random() < 0.4) {
      this.proxy.route(this.o.ports[Math.floor(this.random() * this.o.ports.length)] as number);
      this.stats.moves++;
    }
    this.proxy.hold();
    this.proxy.dropAll();
    this.cutting = sleep(ms).then(() => {
      this.proxy.release();
      this.cutting = undefined;
    });
  }

  /** CLOSE (its members leave) and a new connection for the same user. */
  private async reopen(): Promise<void> {
    const old = this.client;
    const oldId = old.connection.id;
    old.close();
    await onceState(old, 'closed');
    for (const key of [...this.truth.keys()]) if (oldId && key.endsWith(`:${oldId}`)) this.truth.delete(key);
    this.stats.reopens++;
    this.open();
  }

  /** Back to normal: connected and, when it had been attached, attached again. */
  async settle(): Promise<void> {
    await onceState(this.client, 'connected');
    if (this.channel.state !== 'initialized') await this.channel.attach();
  }
}

/** Runs the chaos script, lets everything settle, and reads the four views. */
export async function runPresenceChaos(o: ChaosOptions): Promise<ChaosReport> {
  const truth: PresenceView = new Map();
  const stats: ChaosReport['stats'] = {
    acked: 0,
    failed: [],
    shortCuts: 0,
    longCuts: 0,
    moves: 0,
    reopens: 0,
    lostResumes: [],
    stateLosses: [],
  };
  const base = { key: TEST_KEY, endpoint: 'localhost', tls: false, logLevel: 0 };
  const observer = new Ably.Realtime({ ...base, port: o.ports[0] as number, clientId: 'observer' });
  o.after(() => observer.close());
  const watched = observer.channels.get(o.channel);
  const trail = new Map<string, string[]>();
  await watched.presence.subscribe((m) => {
    const key = `${m.clientId}:${m.connectionId}`;
    if (!trail.has(key)) trail.set(key, []);
    trail.get(key)?.push(`${m.action} ${m.id} @${m.timestamp} ${JSON.stringify(m.data)}`);
  });

  const actors: Actor[] = [];
  for (let i = 0; i < o.clients; i++) {
    const proxy = new TcpProxy(o.ports[i % o.ports.length] as number);
    await proxy.listen(o);
    actors.push(new Actor(i, proxy, o, prng(o.seed * 1000 + i), truth, stats));
  }
  const deadline = Date.now() + o.durationMs;
  await Promise.all(actors.map((a) => a.run(deadline)));
  await Promise.all(actors.map((a) => a.settle()));

  const rest = new Ably.Rest({ ...base, port: o.ports[o.ports.length - 1] as number });
  const restView = async () => viewOf((await rest.channels.get(o.channel).presence.get({ limit: 1000 })).items);
  const observerView = async () => viewOf(await watched.presence.get());
  // Settled when the server's set and the observer's equal the truth; re-checked on every presence event the
  // observer sees (re-entries and grace-period leaves still arriving), with a deadline that reports the diff.
  let views = { rest: await restView(), observer: await observerView() };
  const giveUp = Date.now() + 15_000;
  while (!(same(views.rest, truth) && same(views.observer, truth)) && Date.now() < giveUp) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1_000);
      watched.presence.subscribe(function next() {
        watched.presence.unsubscribe(next);
        clearTimeout(timer);
        resolve();
      });
    });
    views = { rest: await restView(), observer: await observerView() };
  }

  const late = new Ably.Realtime({ ...base, port: o.ports[1 % o.ports.length] as number, clientId: 'late-joiner' });
  o.after(() => late.close());
  const lateChannel = late.channels.get(o.channel);
  await lateChannel.attach();
  const lateJoiner = viewOf(await lateChannel.presence.get());
  o.log?.(
    `chaos seed ${o.seed}: ${o.clients} clients, ${o.durationMs} ms, ${stats.acked} acked ops, ` +
      `${stats.shortCuts} short + ${stats.longCuts} long cuts, ${stats.moves} node moves, ${stats.reopens} reopens, ` +
      `${truth.size} members at the end, ${stats.stateLosses.length} re-entries retried after state losses`,
  );
  for (const line of stats.stateLosses) o.log?.(`  ${line}`);
  return { truth, rest: views.rest, observer: views.observer, lateJoiner, trail, stats };
}

/** A readable diff of a view against the truth, for assertion messages. */
export function describeDiff(name: string, view: PresenceView, truth: PresenceView, trail?: Map<string, string[]>): string {
  const lines: string[] = [];
  const seen = (k: string) => (trail ? `\n    observer saw: ${(trail.get(k) ?? []).join(' | ')}` : '');
  for (const [k, v] of truth) {
    if (view.get(k) !== v) lines.push(`${name}: ${k} expected ${v}, got ${view.get(k) ?? 'absent'}${seen(k)}`);
  }
  for (const [k, v] of view) if (!truth.has(k)) lines.push(`${name}: ${k} should be absent, has ${v}${seen(k)}`);
  return lines.join('\n');
}
