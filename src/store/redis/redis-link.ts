import type { Cluster } from 'ioredis';
import type { ClusterLink } from '../../cluster/cluster-bus.ts';
import type { RedisClients } from './redis-client.ts';
import { watchShardSubscribers } from './shard-subscribers.ts';

/**
 * Up while this node both reaches Redis and hears from it:
 * - the command client is ready;
 * - on one server or through Sentinel, the subscriber is ready too and its subscriptions are restored. ioredis
 *   re-subscribes on reconnecting, so the link waits for a PING sent after those commands on the same connection:
 *   once it is answered, every event published from then on reaches this node. Until then the node has been
 *   missing events (the other nodes may be back first), and the link coming up is what triggers the repair
 *   (src/cluster/cluster.ts);
 * - on a Redis Cluster, every shard's subscriber is connected and re-subscribed, checked the same way per shard
 *   (src/store/redis/shard-subscribers.ts), and every shard answers (see {@link probe}): a failed master leaves
 *   the client "ready" while its slots fail, which must still read as an outage.
 * Losing a subscription connection is also reported on its own ({@link onSubscriptionsLost}), as it happens: from
 * then until the link is up again, events may be missed.
 */
export class RedisLink implements ClusterLink {
  private readonly handlers: Array<(up: boolean) => void> = [];
  private readonly lostHandlers: Array<() => void> = [];
  private up = false;
  private commandReady = false;
  private subscribed: boolean;
  private shardsOk = true;
  /** Redis Cluster: un-wedges the sharded subscribers if they are stuck (see shard-subscribers.ts). */
  private checkShards: (() => void) | undefined;

  constructor(clients: RedisClients) {
    const { command, subscriber } = clients;
    const commandReady = (r: boolean) => {
      this.commandReady = r;
      this.update();
    };
    command.on('ready', () => commandReady(true));
    command.on('close', () => commandReady(false));
    command.on('end', () => commandReady(false));
    // ioredis reports connection errors as events; without a listener it would print them as unhandled.
    command.on('error', () => commandReady(command.status === 'ready'));
    subscriber.on('error', () => {});
    // Cluster clients report per-node failures as `node error`; the probe judges the shards.
    command.on('node error', () => {});
    subscriber.on('node error', () => {});
    this.commandReady = command.status === 'ready';
    this.subscribed = clients.kind === 'cluster' || subscriber.status === 'ready';
    const lost = () => {
      this.subscribed = false;
      for (const h of this.lostHandlers) h();
      this.update();
    };
    const restored = () => {
      this.subscribed = true;
      this.update();
    };
    if (clients.kind === 'cluster') this.checkShards = watchShardSubscribers(subscriber as Cluster, lost, restored);
    else {
      // The first connection has nothing to restore (subscriptions are made once it is up).
      let first = true;
      // A check that a new loss overtakes is discarded.
      let generation = 0;
      subscriber.on('ready', () => {
        if (first) {
          first = false;
          return restored();
        }
        // `ready` is emitted after ioredis has sent the re-subscriptions: the PING's answer follows theirs.
        const checked = generation;
        subscriber.ping().then(
          () => {
            if (checked === generation && subscriber.status === 'ready') restored();
          },
          // The connection dropped again; its next `ready` tries again.
          () => {},
        );
      });
      const drop = () => {
        generation++;
        lost();
      };
      subscriber.on('close', drop);
      subscriber.on('end', drop);
    }
    this.up = this.commandReady && this.subscribed;
  }

  /**
   * `handler` runs whenever a subscription connection drops (before the link reports down): events published from
   * then until the link is up again may never reach this node.
   */
  onSubscriptionsLost(handler: () => void): void {
    this.lostHandlers.push(handler);
  }

  /** The result of a shard health check (Redis Cluster only); a failing shard takes the link down until it recovers. */
  probe(shardsOk: boolean): void {
    this.shardsOk = shardsOk;
    this.checkShards?.();
    this.update();
  }

  isUp(): boolean {
    return this.up;
  }

  onChange(handler: (up: boolean) => void): void {
    this.handlers.push(handler);
  }

  private update(): void {
    const up = this.commandReady && this.subscribed && this.shardsOk;
    if (up === this.up) return;
    this.up = up;
    for (const h of this.handlers) h(up);
  }
}
