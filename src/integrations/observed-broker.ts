import type { ProtocolMessage } from '../protocol/index.ts';
import type { Broker, ChannelEvent, PublishOptions } from '../store/broker.ts';

/**
 * A Broker that reports every event it publishes (on the node that publishes it, so once cluster-wide) to
 * `observe` after the inner broker numbered it: how channel.message webhooks see realtime and REST publishes
 * without a hook in either. `observe` must return at once and never throw.
 */
export class ObservedBroker implements Broker {
  constructor(
    private readonly inner: Broker,
    private readonly observe: (event: ChannelEvent) => void,
  ) {}

  async publish(channel: string, message: ProtocolMessage, origin?: string, options?: PublishOptions): Promise<ChannelEvent> {
    const event = await this.inner.publish(channel, message, origin, options);
    if (!event.superseded) this.observe(event);
    return event;
  }

  subscribe(channel: string): Promise<void> {
    return this.inner.subscribe(channel);
  }

  unsubscribe(channel: string): Promise<void> {
    return this.inner.unsubscribe(channel);
  }

  onEvent(handler: (event: ChannelEvent) => void): void {
    this.inner.onEvent(handler);
  }

  currentSerial(channel: string): Promise<string> {
    return this.inner.currentSerial(channel);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
