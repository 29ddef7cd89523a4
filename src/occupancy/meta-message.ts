import { Action, type ProtocolMessage } from '../protocol/index.ts';
import type { ChannelMetrics } from './metrics.ts';

/** The message name occupancy events carry (`@ably/chat` subscribes to exactly this name). */
export const OCCUPANCY_EVENT_NAME = '[meta]occupancy';

/**
 * A `[meta]occupancy` MESSAGE: `data.metrics` as JSON text with `encoding: 'json'`, which the SDK decodes to an
 * object in both the JSON and the msgpack protocol. It has no channelSerial: it is not part of the channel's
 * message sequence (never in history, never replayed on resume), so it must not move the client's resume point.
 */
export function occupancyMessage(channel: string, id: string, timestamp: number, metrics: ChannelMetrics): ProtocolMessage {
  return {
    action: Action.MESSAGE,
    channel,
    id,
    timestamp,
    messages: [{ name: OCCUPANCY_EVENT_NAME, data: JSON.stringify({ metrics }), encoding: 'json' }],
  };
}
