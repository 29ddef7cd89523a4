import { Action, messageSize } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import type { Clock } from '../time/clock.ts';
import type { StatsEntries, StatsRecord } from './entries.ts';
import { intervalStart } from './intervals.ts';
import type { StatsItem, StatsQuery, StatsStore } from './stats-store.ts';

/** The kinds of channel traffic counted, by protocol action (Ably's `messages.<direction>.<transport>.<kind>`). */
const KIND: Partial<Record<number, string>> = { [Action.MESSAGE]: 'messages', [Action.PRESENCE]: 'presence' };

/**
 * Live stats: counts each app's traffic on this node into its StatsStore, so `GET /stats` shows the current minute
 * (marked in progress) and every one before it. Counted: inbound messages and presence events, by transport
 * (`realtime` for a connection's publish, `rest` otherwise; not what the server itself publishes) with their sizes, summed into the `all` transport and
 * kind, and `connections.all.opened`. Not counted (yet): outbound deliveries, API requests, peaks and means.
 *
 * Counts wait in memory for the minute they belong to and are added to the store when the minute turns or a
 * query asks, so the hot path does no store work and allocates nothing per event beyond its app's first count in
 * a minute. Per node: in a cluster each node's `GET /stats` shows what that node counted.
 */
export class StatsRecorder implements StatsStore {
  private pending = new Map<string, StatsEntries>();
  private minute = 0;

  constructor(
    private readonly store: StatsStore,
    private readonly clock: Clock,
  ) {}

  /** One channel event published on this node (give it to an ObservedBroker): retransmissions are not counted. */
  readonly observePublish = (event: ChannelEvent): void => {
    const kind = KIND[event.message.action];
    if (!kind || event.duplicate) return;
    const appId = event.channel.slice(0, event.channel.indexOf(':'));
    // What the server says itself is not inbound traffic: metachannel events, and presence changes no connection
    // made (synthesized leaves). A message without an origin came over REST (no connection publishes it).
    if (event.channel.startsWith('[meta]', appId.length + 1) || (kind === 'presence' && !event.origin)) return;
    const items = event.message.action === Action.MESSAGE ? event.message.messages : event.message.presence;
    if (!items || items.length === 0) return;
    let data = 0;
    for (const item of items) data += messageSize(item);
    const entries = this.entriesOf(appId);
    const transport = event.origin ? 'realtime' : 'rest';
    for (const path of [
      `inbound.${transport}.${kind}`,
      `inbound.${transport}.all`,
      `inbound.all.${kind}`,
      'inbound.all.all',
      `all.${kind}`,
      'all.all',
    ]) {
      entries[`messages.${path}.count`] = (entries[`messages.${path}.count`] ?? 0) + items.length;
      entries[`messages.${path}.data`] = (entries[`messages.${path}.data`] ?? 0) + data;
    }
  };

  /** A connection of `appId` was opened on this node. */
  connectionOpened(appId: string): void {
    const entries = this.entriesOf(appId);
    entries['connections.all.opened'] = (entries['connections.all.opened'] ?? 0) + 1;
  }

  add(appId: string, records: StatsRecord[]): void {
    this.store.add(appId, records);
  }

  /** Queries with what was counted so far included; the interval that holds now is marked in progress. */
  query(appId: string, q: StatsQuery): { items: StatsItem[]; more: boolean } {
    const now = this.clock.now();
    this.roll(now);
    this.flush();
    return this.store.query(appId, { ...q, now: q.now ?? now });
  }

  /** This minute's counts, starting it (and handing the previous minute's to the store) when the minute turned. */
  private entriesOf(appId: string): StatsEntries {
    this.roll(this.clock.now());
    let entries = this.pending.get(appId);
    if (!entries) this.pending.set(appId, (entries = {}));
    return entries;
  }

  /** Hands the counts to the store when the minute they belong to is over. */
  private roll(now: number): void {
    const minute = intervalStart(now, 'minute');
    if (minute === this.minute) return;
    this.flush();
    this.minute = minute;
  }

  private flush(): void {
    for (const [appId, entries] of this.pending) this.store.add(appId, [{ start: this.minute, entries }]);
    this.pending.clear();
  }
}
