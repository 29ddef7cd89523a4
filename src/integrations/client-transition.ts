import type { PresenceCause } from '../presence/presence-service.ts';

/**
 * A client-level presence transition (a Rollcall extension): on one channel, a clientId went from no member to at
 * least one (`client.online`) or back (`client.offline`), counting every device (connection).
 */
export interface ClientTransition {
  name: 'client.online' | 'client.offline';
  /** Namespaced channel key (`appId:name`): where to publish, and which app's webhooks see it. */
  channelKey: string;
  payload: ClientTransitionPayload;
}

/** What subscribers and webhook receivers get as the `data` of a transition. */
export interface ClientTransitionPayload {
  /** Channel name (without the app id). */
  channel: string;
  clientId: string;
  timestamp: number;
  /** Connections with a member of this clientId after the transition (0 for offline). */
  devices: number;
  /** The device (connection) whose enter or leave caused the transition. */
  connectionId: string;
  /** For online always `enter`; for offline how the last member left. */
  reason: PresenceCause | 'enter';
  /** The causing member's enter data (online) or leave data (offline; the member's last data when the server removed it). */
  data?: unknown;
  /** The data's remaining encoding, when it is not plain (e.g. `base64`, `json`). */
  encoding?: string;
}
