import type { ClusterBus } from '../../cluster/cluster-bus.ts';
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
