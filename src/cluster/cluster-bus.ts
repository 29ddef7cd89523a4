import type { ClusterMessage } from './cluster-message.ts';

/** Node-to-node control messages. Delivery is best effort: nothing correct depends on one arriving. */
export interface ClusterBus {
  publish(message: ClusterMessage): Promise<void>;
  onMessage(handler: (message: ClusterMessage) => void): void;
}

/**
 * Whether the shared backend is reachable and this node hears its events (its subscriptions are in place), and
 * notice when that changes. Coming back up means events may have been missed meanwhile.
 */
export interface ClusterLink {
  isUp(): boolean;
  onChange(handler: (up: boolean) => void): void;
  /**
   * `handler` runs as soon as this node may have stopped hearing events (a subscription connection dropped), which
   * can be before the link reports down: what is published from then until it is up again may never arrive.
   */
  onSubscriptionsLost(handler: () => void): void;
}
