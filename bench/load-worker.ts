import { encodeWire, type Format, LightClient, type LightPresenceItem, wallNow } from './light-client.ts';
import { serveStats } from './process-stats.ts';

/**
 * A load-generator process: holds many LightClients and runs scenario steps on request from the harness (IPC
 * request/response). Times are wall-clock ms (`wallNow`) so the harness can compare them across processes.
 */

interface OpenArgs {
  port: number;
  key: string;
  format: Format;
  prefix: string;
  count: number;
  remainPresentFor?: number;
  raw?: boolean;
  channel?: string;
  /** When set, client i attaches to `${channel}-${floor((offset + i) / roomSize)}` instead of `channel`. */
  roomSize?: number;
  offset?: number;
  flags?: number;
  /** Channel params of the ATTACH, e.g. `{occupancy: 'metrics'}`. */
  params?: Record<string, string>;
  concurrency?: number;
}

let clients: LightClient[] = [];
/** The channel each client attached to, by index. */
let channelOf: string[] = [];
let raw = false;
const leaves: Array<{ clientId: string; at: number }> = [];
let latencies: number[] = [];
let received = 0;
/** `[meta]occupancy` messages received by all clients. */
let occupancyEvents = 0;
/** What the watcher (client 0 after `watchMany`) has received live since. */
const watched = { enter: 0, leave: 0, messages: 0 };
/** ATTACH flag of a reattach after a resume (the SDK sets it on channels it had attached). */
const ATTACH_RESUME = 1 << 5;

/** Runs `fn` over items with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

/** Rollcall's outbound PRESENCE shape for one ENTER, pre-encoded for the ceiling relay. */
function enterFrame(format: Format, channel: string, clientId: string, i: number): string | Buffer {
  const connectionId = `raw-${clientId}`;
  const timestamp = Math.floor(wallNow());
  return encodeWire(format, {
    action: 14,
    channel,
    channelSerial: `ceiling-${i}`,
    id: `${connectionId}:0`,
    connectionId,
    timestamp,
    presence: [{ action: 2, id: `${connectionId}:0:0`, clientId, connectionId, timestamp, data: 'x' }],
  });
}

/** Rollcall's outbound MESSAGE shape, pre-encoded for the ceiling relay. */
function messageFrame(format: Format, channel: string, n: number, data: string): string | Buffer {
  const connectionId = 'raw-publisher';
  const timestamp = Math.floor(wallNow());
  const id = `${connectionId}:${n}`;
  return encodeWire(format, {
    action: 15,
    channel,
    channelSerial: `ceiling-${n}`,
    id,
    connectionId,
    timestamp,
    messages: [{ id: `${id}:0`, name: 'tick', data, clientId: 'publisher', connectionId, timestamp, serial: `ceiling-${n}:0` }],
  });
}

/** Payload carrying its send time, padded to `size` bytes. */
const stamped = (size: number): string => {
  const s = `${wallNow().toFixed(3)}|`;
  return s.length >= size ? s : s + 'x'.repeat(size - s.length);
};

const ops: Record<string, (args: never) => Promise<unknown>> = {
  async open(a: OpenArgs) {
    raw = !!a.raw;
    const fresh = Array.from(
      { length: a.count },
      (_, i) =>
        new LightClient({
          port: a.port,
          key: a.key,
          format: a.format,
          clientId: `${a.prefix}${i}`,
          remainPresentFor: a.remainPresentFor,
          raw: a.raw,
          lean: true,
        }),
    );
    const rooms = fresh.map((_, i) =>
      a.roomSize ? `${a.channel}-${Math.floor(((a.offset ?? 0) + i) / a.roomSize)}` : (a.channel ?? ''),
    );
    await pool(fresh, a.concurrency ?? 64, async (c, i) => {
      await c.connect();
      if (a.params?.occupancy) {
        c.onMessage = (_ch, msg) => {
          if (msg.name === '[meta]occupancy') occupancyEvents++;
        };
      }
      if (a.channel && !a.raw) await c.attach(rooms[i] as string, a.flags, a.params);
    });
    clients.push(...fresh);
    channelOf.push(...rooms);
    return { open: clients.length };
  },

  /** `[meta]occupancy` messages received so far by this worker's clients. */
  async occupancyEvents() {
    return { events: occupancyEvents };
  },

  /** Every client enters (its own clientId) on the channel, all at once. */
  async enterAll(a: { channel: string; offset: number }) {
    clients.forEach((c, i) => {
      if (raw) c.sendRaw(enterFrame(c.format, a.channel, c.clientId ?? '', a.offset + i));
      else c.enter(a.channel, 'x').catch(() => {});
    });
    return { sent: clients.length };
  },

  /**
   * Every client attaches (waiting for ATTACHED) to `${channel}-${floor(i / roomSize)}`, or to `channel` itself
   * when `roomSize` is 0; a later `enterOwn` enters there.
   */
  async attachAll(a: { channel: string; roomSize: number; concurrency?: number }) {
    channelOf = clients.map((_, i) => (a.roomSize > 0 ? `${a.channel}-${Math.floor(i / a.roomSize)}` : a.channel));
    await pool(clients, a.concurrency ?? 64, (c, i) => c.attach(channelOf[i] as string));
    return { attached: clients.length };
  },

  /**
   * Client 0 attaches to `count` channels `${channel}-0` … and from then on counts the ENTERs, LEAVEs and MESSAGEs
   * it receives live on them (a watcher that tells when an operation has reached another node).
   */
  async watchMany(a: { channel: string; count: number }) {
    const c = clients[0] as LightClient;
    const names = Array.from({ length: a.count }, (_, i) => `${a.channel}-${i}`);
    await pool(names, 64, (name) => c.attach(name));
    c.onPresence = (_ch, item, _at, sync) => {
      if (sync) return;
      if (item.action === 2) watched.enter++;
      if (item.action === 3) watched.leave++;
    };
    c.onMessage = () => {
      watched.messages++;
    };
    return { attached: names.length };
  },

  /** Resolves when the watcher's counts (see `watchMany`) reach at least the given ones; returns them. */
  async waitWatched(a: Partial<typeof watched>) {
    const c = clients[0] as LightClient;
    const reached = () =>
      (a.enter ?? 0) <= watched.enter && (a.leave ?? 0) <= watched.leave && (a.messages ?? 0) <= watched.messages;
    await c.until(() => reached() || c.closed);
    if (!reached()) {
      const why = `${c.closeReason ?? ''}${c.lastError ? `, error ${JSON.stringify(c.lastError)}` : ''}`;
      throw new Error(`watcher closed (${why}) at ${JSON.stringify(watched)}, waiting for ${JSON.stringify(a)}`);
    }
    return { ...watched };
  },

  /** Every client leaves its channel (explicit LEAVE) and waits for the ACK. */
  async leaveOwn() {
    await pool(clients, 256, (c, i) => c.leave(channelOf[i] as string));
    return { left: clients.length };
  },

  /** Every client publishes one message of `size` bytes on its channel and waits for the ACK. */
  async publishOwn(a: { size: number }) {
    const data = 'x'.repeat(a.size);
    await pool(clients, 256, (c, i) => c.publish(channelOf[i] as string, 'tick', data));
    return { published: clients.length };
  },

  /**
   * Every client loses its connection abruptly (no CLOSE); returns what a resume needs. The clients stay listed
   * until `resumeAll` replaces them.
   */
  async killAll() {
    for (const c of clients) c.kill();
    await Promise.all(clients.map((c) => c.until(() => c.closed)));
    return { killed: clients.length };
  },

  /**
   * Each killed client comes back on `port` with its connectionKey (a resume, possibly on another node) and
   * reattaches its channel with the RESUME flag, as the SDK does. Fails if a resume was refused (new connectionId).
   */
  async resumeAll(a: { port: number; key: string; format: Format; remainPresentFor?: number }) {
    const old = clients;
    const fresh = old.map(
      (c) =>
        new LightClient({
          port: a.port,
          key: a.key,
          format: a.format,
          clientId: c.clientId,
          remainPresentFor: a.remainPresentFor,
          resume: c.connectionKey,
          lean: true,
        }),
    );
    let refused = 0;
    await pool(fresh, 64, async (c, i) => {
      await c.connect();
      if (c.connectionId !== old[i]?.connectionId) refused++;
      const channel = channelOf[i];
      if (channel) await c.attach(channel, ATTACH_RESUME);
    });
    clients = fresh;
    if (refused > 0) throw new Error(`${refused} of ${fresh.length} resumes were refused`);
    return { resumed: fresh.length };
  },

  /** Every client enters its own channel and waits for the ACK. */
  async enterOwn() {
    await pool(clients, 256, (c, i) => c.enter(channelOf[i] as string, 'x'));
    return { entered: clients.length };
  },

  /** Resolves when every client holds at least `expect` members; reports when the last one got there. */
  async waitMembers(a: { channel: string; expect: number }) {
    let doneAt = 0;
    await Promise.all(
      clients.map((c) =>
        c
          .until(() => c.channel(a.channel).members.size >= a.expect || c.closed)
          .then(() => {
            doneAt = Math.max(doneAt, wallNow());
          }),
      ),
    );
    const frames = clients.reduce((n, c) => n + c.frames, 0);
    const shortOnes = clients.filter((c) => c.channel(a.channel).members.size < a.expect);
    const short = shortOnes.length;
    // Why they fell short: their socket closed (the server dropped them), or they hold fewer members.
    const closed = shortOnes.filter((c) => c.closed).length;
    const fewest = Math.min(a.expect, ...shortOnes.map((c) => c.channel(a.channel).members.size));
    return { doneAt, frames, short, closed, fewest };
  },

  /** Enters `members` clientIds spread over this worker's clients, `perMessage` items per PRESENCE. */
  async populate(a: { channel: string; prefix: string; from: number; count: number; perMessage: number }) {
    const per = Math.ceil(a.count / clients.length);
    await Promise.all(
      clients.map(async (c, ci) => {
        const start = a.from + ci * per;
        const end = Math.min(a.from + a.count, start + per);
        for (let s = start; s < end; s += a.perMessage) {
          const ids = [];
          for (let k = s; k < Math.min(end, s + a.perMessage); k++) ids.push(`${a.prefix}${k}`);
          await c.enter(a.channel, 'x', ids);
        }
      }),
    );
    return { entered: a.count };
  },

  /** A new client: time from ATTACH sent to the last SYNC page. */
  async joinSync(a: { port: number; key: string; format: Format; channel: string; clientId: string }) {
    const c = new LightClient({ port: a.port, key: a.key, format: a.format, clientId: a.clientId });
    await c.connect();
    const t0 = wallNow();
    await c.attach(a.channel);
    const attachedAt = wallNow();
    await c.synced(a.channel);
    const view = c.channel(a.channel);
    const ms = (view.syncDoneAt ?? wallNow()) - t0;
    c.close();
    return { ms, attachMs: attachedAt - t0, members: view.members.size, syncItems: view.syncItems };
  },

  /** Client 0 records every LEAVE it sees on the channel (clientId, wall time). */
  async recordLeaves(a: { channel: string }) {
    leaves.length = 0;
    const watcher = clients[0] as LightClient;
    watcher.onPresence = (ch: string, item: LightPresenceItem, at: number) => {
      if (ch === a.channel && item.action === 3) leaves.push({ clientId: item.clientId, at });
    };
    return {};
  },

  async leaves() {
    return leaves.slice();
  },

  /** Kills clients [from, from+count) abruptly, `gapMs` apart; returns each kill's wall time. */
  async kill(a: { from: number; count: number; gapMs: number }) {
    const out: Array<{ clientId: string; at: number }> = [];
    for (let i = a.from; i < a.from + a.count && i < clients.length; i++) {
      const c = clients[i] as LightClient;
      out.push({ clientId: c.clientId ?? '', at: wallNow() });
      c.kill();
      if (a.gapMs > 0) await new Promise((r) => setTimeout(r, a.gapMs));
    }
    return out;
  },

  /** Starts counting MESSAGEs (and their latency) on every client. */
  async listen(a: { sampleEvery: number }) {
    latencies = [];
    received = 0;
    let n = 0;
    for (const c of clients) {
      c.onMessage = (_ch, msg, at) => {
        received++;
        if (n++ % a.sampleEvery === 0) latencies.push(at - Number.parseFloat(String(msg.data)));
      };
    }
    return {};
  },

  /** Resolves when every client received `expect` messages in total since `listen` (counted per worker). */
  async waitReceived(a: { expect: number }) {
    await new Promise<void>((resolve) => {
      const tick = () => (received >= a.expect || clients.every((c) => c.closed) ? resolve() : setTimeout(tick, 5));
      tick();
    });
    return { doneAt: wallNow(), received, latencies };
  },

  /**
   * Client 0 publishes `count` messages of `size` bytes: as fast as a window of `window` unechoed messages allows
   * (`rate` 0), or paced at `rate` per second.
   */
  async publish(a: { channel: string; count: number; size: number; window: number; rate: number }) {
    const pub = clients[0] as LightClient;
    let echoed = 0;
    let sent = 0;
    const inner = pub.onMessage;
    const t0 = wallNow();
    await new Promise<void>((resolve) => {
      const sendOne = () => {
        const data = stamped(a.size);
        if (raw) pub.sendRaw(messageFrame(pub.format, a.channel, sent, data));
        else pub.publish(a.channel, 'tick', data).catch(() => {});
        sent++;
      };
      pub.onMessage = (ch, msg, at) => {
        inner?.(ch, msg, at);
        echoed++;
        if (echoed >= a.count) return resolve();
        if (a.rate === 0 && sent < a.count) sendOne();
      };
      if (a.rate === 0) for (let i = 0; i < Math.min(a.window, a.count); i++) sendOne();
      else {
        const timer = setInterval(() => {
          if (sent >= a.count) return clearInterval(timer);
          sendOne();
        }, 1000 / a.rate);
      }
    });
    pub.onMessage = inner;
    return { t0, sent };
  },

  /**
   * Client 0 creates one message and appends `count` tokens to it (each token's data is its send time, so
   * receivers measure delivery latency), keeping at most `window` appends unacknowledged, as a streaming agent
   * does. Resolves when every append is acknowledged, with the message's serial.
   */
  async stream(a: { channel: string; count: number; window: number }) {
    const pub = clients[0] as LightClient;
    const t0 = wallNow();
    const serial = await pub.publishForSerial(a.channel, 'reply', `${wallNow()} `);
    let sent = 0;
    let inFlight = 0;
    await new Promise<void>((resolve, reject) => {
      const pump = () => {
        while (inFlight < a.window && sent < a.count) {
          sent++;
          inFlight++;
          pub.append(a.channel, serial, `${wallNow()} `).then(() => {
            inFlight--;
            if (sent >= a.count && inFlight === 0) resolve();
            else pump();
          }, reject);
        }
      };
      pump();
    });
    return { t0, serial, acked: wallNow() };
  },

  async closeAll() {
    for (const c of clients) c.close();
    clients = [];
    channelOf = [];
    return {};
  },
};

process.on('message', (msg: { id: number; op: string; args: never }) => {
  const op = ops[msg.op];
  if (!op) return;
  op(msg.args).then(
    (result) => process.send?.({ id: msg.id, result }),
    (err: Error) => process.send?.({ id: msg.id, error: err.message }),
  );
});
serveStats();
process.send?.({ ready: true });
