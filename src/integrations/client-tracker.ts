import type { PresenceCause } from '../presence/presence-service.ts';
import { type Data, PresenceAction, type PresenceMessage, toJsonData } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import type { Clock } from '../time/clock.ts';
import type { ClientTransition } from './client-transition.ts';
import type { DeviceRegistry } from './device-registry.ts';
import { type RetryPolicy, retrying } from './retry.ts';

const channelName = (key: string): string => key.slice(key.indexOf(':') + 1);

/**
 * Turns presence events into client-level transitions (`client.online` / `client.offline`, issue 13). It sees each
 * presence event once cluster-wide (on the node whose atomic store operation produced it), and asks the
 * {@link DeviceRegistry} per ENTER/LEAVE whether that made the clientId present or absent, so each transition is
 * emitted exactly once even when several nodes report the same clientId at the same time.
 *
 * Work is queued per channel and never awaited by presence itself: a slow registry or receiver cannot slow a
 * presence operation down. Transitions of one channel come out in the order their events went in.
 */
export class ClientTracker {
  private readonly chains = new Map<string, Promise<void>>();
  private pending = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly clock: Clock,
    private readonly emit: (transition: ClientTransition) => void,
    private readonly fail: (err: unknown) => void,
    /** A failed registry call (Redis unreachable) is retried; arrive and depart are idempotent. */
    private readonly retry: RetryPolicy = { base: 1000, max: 60_000, horizon: 30 * 60 * 1000 },
  ) {}

  /** Takes one published PRESENCE event and the reason its LEAVEs happened. Returns at once. */
  observe(event: ChannelEvent, cause: PresenceCause): void {
    const changes = (event.message.presence ?? []).filter(
      (p) => (p.action === PresenceAction.ENTER || p.action === PresenceAction.LEAVE) && p.clientId && p.connectionId,
    );
    if (changes.length === 0) return;
    const channel = event.channel;
    this.pending++;
    const previous = this.chains.get(channel) ?? Promise.resolve();
    const next = previous
      .then(() => this.apply(channel, changes, cause, event.origin === undefined))
      .catch(this.fail)
      .finally(() => {
        if (this.chains.get(channel) === next) this.chains.delete(channel);
        if (--this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    this.chains.set(channel, next);
  }

  /** Resolves when every observed event has been processed (tests, shutdown). */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * `serverMade`: the event is the server's own (no originating connection). Its ENTERs are members written back
   * after Redis lost them (re-assertion): they rebuild the device sets but are no transition, since the clientId
   * never went offline.
   */
  private async apply(channel: string, items: PresenceMessage[], cause: PresenceCause, serverMade: boolean): Promise<void> {
    for (const item of items) {
      const clientId = item.clientId as string;
      const connectionId = item.connectionId as string;
      const entering = item.action === PresenceAction.ENTER;
      const change = await retrying(this.clock, this.retry, () =>
        entering ? this.registry.arrive(channel, clientId, connectionId) : this.registry.depart(channel, clientId, connectionId),
      );
      if (!change.changed || change.devices !== (entering ? 1 : 0) || (entering && serverMade)) continue;
      const { data, encoding } = plainData(item.data, item.encoding);
      this.emit({
        name: entering ? 'client.online' : 'client.offline',
        channelKey: channel,
        payload: {
          channel: channelName(channel),
          clientId,
          timestamp: this.clock.now(),
          devices: change.devices,
          connectionId,
          reason: entering ? 'enter' : cause,
          data,
          encoding,
        },
      });
    }
  }
}

/**
 * The payload carries data as JSON: a JSON-encoded member's data as the value itself (receivers get the object the
 * client entered with), binary as base64 with `base64` in encoding, anything else as is with its encoding.
 */
function plainData(data: Data | undefined, encoding: string | undefined): { data?: unknown; encoding?: string } {
  if (encoding === 'json' && typeof data === 'string') {
    try {
      return { data: JSON.parse(data) };
    } catch {
      return { data, encoding };
    }
  }
  const out = toJsonData<{ data?: Data; encoding?: string }>({ data: data ?? undefined, encoding });
  return { data: out.data ?? undefined, encoding: out.encoding };
}
