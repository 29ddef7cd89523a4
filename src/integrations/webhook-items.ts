import type { ChannelMetrics } from '../occupancy/metrics.ts';
import { toJsonData } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import type { ClientTransition } from './client-transition.ts';
import type { WebhookItem } from './webhook-item.ts';

/** An item before it is addressed to a webhook (webhookId and id are filled per webhook by the dispatcher). */
export type ItemBody = Omit<WebhookItem, 'webhookId' | 'id'>;

const channelName = (key: string): string => key.slice(key.indexOf(':') + 1);

/** channel.message: the event's messages as Ably sends them (binary data as base64 with `base64` in encoding). */
export function messageItem(event: ChannelEvent, site: string): ItemBody {
  const m = event.message;
  const messages = (m.messages ?? []).map((msg, i) =>
    toJsonData({
      ...msg,
      id: msg.id ?? `${m.id}:${i}`,
      connectionId: msg.connectionId ?? m.connectionId,
      timestamp: msg.timestamp ?? m.timestamp,
    }),
  );
  return {
    source: 'channel.message',
    serial: event.serial,
    timestamp: m.timestamp ?? 0,
    name: 'channel.message',
    data: { channelId: channelName(event.channel), site, messages },
  };
}

/** channel.presence: the event's presence items (numeric actions, as Ably's webhooks carry them). */
export function presenceItem(event: ChannelEvent, site: string): ItemBody {
  const m = event.message;
  return {
    source: 'channel.presence',
    serial: event.serial,
    timestamp: m.timestamp ?? 0,
    name: 'presence.message',
    data: { channelId: channelName(event.channel), site, presence: (m.presence ?? []).map(toJsonData) },
  };
}

/** client.presence: Rollcall's client-level transition, its payload as `data`. */
export function transitionItem(t: ClientTransition): ItemBody {
  return { source: 'client.presence', timestamp: t.payload.timestamp, name: t.name, data: { ...t.payload } };
}

/** channel.lifecycle (`channel.opened` / `channel.closed`) and channel.occupancy: Ably's ChannelDetails as `data`. */
export function channelDetailsItem(
  source: 'channel.lifecycle' | 'channel.occupancy',
  name: string,
  channelKey: string,
  metrics: ChannelMetrics,
  timestamp: number,
): ItemBody {
  const channelId = channelName(channelKey);
  return {
    source,
    timestamp,
    name,
    data: {
      channelId,
      name: channelId,
      status: { isActive: name === 'channel.closed' ? false : metrics.connections > 0, occupancy: { metrics } },
    },
  };
}
