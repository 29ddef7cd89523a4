import type { ClusterBus, ClusterLink } from '../../cluster/cluster-bus.ts';
import { type ClusterMessage, decodeClusterMessage, encodeClusterMessage } from '../../cluster/cluster-message.ts';
import type { RedisKeys } from './keys.ts';
import type { RedisClients } from './redis-client.ts';

/** Control messages over one plain pub/sub channel; it only moves bytes (encoding lives in src/cluster/). */
export class RedisBus implements ClusterBus {
  private handler: (message: ClusterMessage) => void = () => {};

  constructor(
    private readonly clients: RedisClients,
    private readonly keys: RedisKeys,
  ) {
    const name = keys.control();
    clients.subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      if (channel.toString() !== name) return;
      const message = decodeClusterMessage(payload);
      if (message) this.handler(message);
    });
  }

  /** Subscribes to the control channel; call once Redis is connected. */
  async start(): Promise<void> {
    await this.clients.subscriber.subscribe(this.keys.control());
  }

  async publish(message: ClusterMessage): Promise<void> {
    await this.clients.command.publish(this.keys.control(), encodeClusterMessage(message));
  }

  onMessage(handler: (message: ClusterMessage) => void): void {
    this.handler = handler;
  }
}

/**
 * Up while the command client is ready and, on a Redis Cluster, while every shard answers (see {@link probe}):
 * a failed master leaves the client "ready" while its slots fail, which must still read as an outage.
 * Subscriptions come back with the link (ioredis re-subscribes).
 */
export class RedisLink implements ClusterLink {
  private readonly handlers: Array<(up: boolean) => void> = [];
  private up = false;
  private ready = false;
  private shardsOk = true;

  constructor(clients: RedisClients) {
    const ready = (r: boolean) => {
      this.ready = r;
      this.update();
    };
    clients.command.on('ready', () => ready(true));
    clients.command.on('close', () => ready(false));
    clients.command.on('end', () => ready(false));
    // ioredis reports connection errors as events; without a listener it would print them as unhandled.
    clients.command.on('error', () => ready(clients.command.status === 'ready'));
    clients.subscriber.on('error', () => {});
    // Cluster clients report per-node failures as `node error`; the probe judges the shards.
    clients.command.on('node error', () => {});
    clients.subscriber.on('node error', () => {});
    this.ready = clients.command.status === 'ready';
    this.up = this.ready;
  }

  /** The result of a shard health check (Redis Cluster only); a failing shard takes the link down until it recovers. */
  probe(shardsOk: boolean): void {
    this.shardsOk = shardsOk;
    this.update();
  }

  isUp(): boolean {
    return this.up;
  }

  onChange(handler: (up: boolean) => void): void {
    this.handlers.push(handler);
  }

  private update(): void {
    const up = this.ready && this.shardsOk;
    if (up === this.up) return;
    this.up = up;
    for (const h of this.handlers) h(up);
  }
}
