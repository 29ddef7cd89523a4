import type { ServerResponse } from 'node:http';
import type { Capability } from '../auth/capability.ts';
import type { Identity } from '../auth/identity.ts';
import type { Node } from '../node/node.ts';
import type { TimerHandle } from '../time/clock.ts';
import { type ChannelRow, channelRows, visibleTo } from './channel-rows.ts';
import type { GraceTracker } from './grace-tracker.ts';
import type { NodeStatus } from './node-status.ts';

/** A viewer that stopped reading gets dropped (it reconnects and starts from a fresh snapshot) past this. */
const MAX_BUFFERED = 1024 * 1024;
/** A comment line after this much silence keeps proxies from closing an idle stream, ms. */
const KEEPALIVE_AFTER = 15_000;

interface Viewer {
  appId: string;
  capability: Capability;
  res: ServerResponse;
  /** What this viewer was last sent, so only changes go out: channel name → row JSON, and the other sections. */
  channels: Map<string, string>;
  grace: string;
  nodes: string;
  lastWrite: number;
  expiry?: TimerHandle;
}

export interface FeedSources {
  node: Node;
  grace: GraceTracker;
  nodes: () => Promise<NodeStatus[]>;
}

/**
 * The dashboard's server-sent event stream: what the Ably protocol does not carry (the channel list with
 * occupancy, connections in their grace period, cluster nodes). One sampler for all viewers, running only while
 * someone watches: every `interval` it reads the state once per app and sends each viewer only what changed since
 * its last event (`channels` as `{upsert, remove}`, `grace` and `nodes` whole). Sampling instead of hooking every
 * presence change keeps the hot path untouched and bounds the cost to one pass per interval, however busy the
 * channels are. A viewer's stream ends when its token expires; the page logs in again and reconnects.
 */
export class DashboardFeed {
  private readonly viewers = new Set<Viewer>();
  private timer: TimerHandle | undefined;
  private busy = false;
  private again = false;

  constructor(
    private readonly s: FeedSources,
    private readonly interval: number,
  ) {}

  /** Starts streaming to an authenticated viewer; its first events are a full snapshot. */
  add(res: ServerResponse, identity: Identity): void {
    const { clock } = this.s.node;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const viewer: Viewer = {
      appId: identity.appId,
      capability: identity.capability,
      res,
      channels: new Map(),
      grace: '',
      nodes: '',
      lastWrite: clock.now(),
    };
    this.viewers.add(viewer);
    res.on('close', () => this.remove(viewer));
    if (identity.expires !== undefined) {
      viewer.expiry = clock.setTimeout(() => res.end(), Math.max(0, identity.expires - clock.now()));
    }
    this.timer ??= clock.setInterval(() => this.tick(), this.interval);
    this.tick();
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    for (const v of [...this.viewers]) v.res.end();
    this.stop();
  }

  private remove(viewer: Viewer): void {
    if (!this.viewers.delete(viewer)) return;
    if (viewer.expiry) this.s.node.clock.clearTimeout(viewer.expiry);
    if (this.viewers.size === 0) this.stop();
  }

  private stop(): void {
    if (this.timer) this.s.node.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sampling pass; a pass asked for while one runs (a new viewer) runs right after it. */
  private tick(): void {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.sample()
      .catch(this.s.node.fail)
      .finally(() => {
        this.busy = false;
        if (this.again) {
          this.again = false;
          this.tick();
        }
      });
  }

  private async sample(): Promise<void> {
    const byApp = new Map<string, ChannelRow[]>();
    const nodes = JSON.stringify(await this.s.nodes());
    for (const v of [...this.viewers]) {
      let rows = byApp.get(v.appId);
      if (!rows) byApp.set(v.appId, (rows = await channelRows(this.s.node, v.appId)));
      if (!this.viewers.has(v)) continue;
      this.sendChannels(v, rows);
      const grace = JSON.stringify(this.s.grace.inGrace(v.appId));
      if (grace !== v.grace) this.send(v, 'grace', (v.grace = grace));
      if (nodes !== v.nodes) this.send(v, 'nodes', (v.nodes = nodes));
      if (this.s.node.clock.now() - v.lastWrite >= KEEPALIVE_AFTER) this.write(v, ': keepalive\n\n');
    }
  }

  private sendChannels(v: Viewer, rows: ChannelRow[]): void {
    const upsert: ChannelRow[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      if (!visibleTo(v.capability, row.name)) continue;
      seen.add(row.name);
      const json = JSON.stringify(row);
      if (v.channels.get(row.name) === json) continue;
      v.channels.set(row.name, json);
      upsert.push(row);
    }
    const remove: string[] = [];
    for (const name of v.channels.keys()) if (!seen.has(name)) remove.push(name);
    for (const name of remove) v.channels.delete(name);
    if (upsert.length > 0 || remove.length > 0) this.send(v, 'channels', JSON.stringify({ upsert, remove }));
  }

  private send(v: Viewer, event: string, json: string): void {
    this.write(v, `event: ${event}\ndata: ${json}\n\n`);
  }

  private write(v: Viewer, text: string): void {
    if (v.res.writableLength > MAX_BUFFERED) {
      v.res.destroy();
      return;
    }
    v.res.write(text);
    v.lastWrite = this.s.node.clock.now();
  }
}
