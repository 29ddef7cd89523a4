import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_CAPABILITY } from '../auth/capability.ts';
import { Action, type Message, MessageAction, type ProtocolMessage } from '../protocol/index.ts';
import type { Broker, ChannelEvent, PublishOptions } from '../store/broker.ts';
import { MemoryAnnotationStore } from '../store/memory/memory-annotation-store.ts';
import { MemoryBroker } from '../store/memory/memory-broker.ts';
import { MemoryHistoryStore } from '../store/memory/memory-history-store.ts';
import { ManualClock } from '../time/manual-clock.ts';
import { AnnotationService } from './annotation-service.ts';

const KEY = 'app:room';
const SERIAL = 'e-000000000001:000';

/** A broker whose summary publishes wait until `release` is called: a node slow to send its summary. */
class HeldSummaries implements Broker {
  private held: Array<() => void> = [];
  private onHold: () => void = () => {};
  /** Resolves once a summary publish is being held. */
  readonly holding = new Promise<void>((r) => (this.onHold = r));
  constructor(private readonly inner: Broker) {}
  async publish(channel: string, message: ProtocolMessage, origin?: string, options?: PublishOptions): Promise<ChannelEvent> {
    if (message.messages?.[0]?.action === MessageAction.SUMMARY) {
      await new Promise<void>((r) => {
        this.held.push(r);
        this.onHold();
      });
    }
    return this.inner.publish(channel, message, origin, options);
  }
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
  subscribe = (c: string) => this.inner.subscribe(c);
  unsubscribe = (c: string) => this.inner.unsubscribe(c);
  onEvent = (h: (e: ChannelEvent) => void) => this.inner.onEvent(h);
  currentSerial = (c: string) => this.inner.currentSerial(c);
  close = () => this.inner.close();
}

describe('AnnotationService', () => {
  it('a summary overtaken by a newer one from another node is never sent after it', async () => {
    const clock = new ManualClock();
    const history = new MemoryHistoryStore(clock, { maxAge: 60_000, maxPerChannel: 100 });
    const store = new MemoryAnnotationStore(clock, { maxAge: 60_000, maxPerChannel: 100 });
    const broker = new MemoryBroker(history, 0, undefined, store);
    const delivered: Message[] = [];
    broker.onEvent((e) => {
      if (e.message.action === Action.MESSAGE) delivered.push(...(e.message.messages ?? []));
    });
    await broker.subscribe(KEY);
    const slow = new HeldSummaries(broker);
    const service = (b: Broker) =>
      new AnnotationService({
        broker: b,
        store,
        clock,
        message: async () => ({ serial: SERIAL }),
        maxMessageSize: 65_536,
        maxClientIdLength: 256,
        maxSummaryClientIds: 100,
      });
    const who = (clientId: string) => ({
      identity: { appId: 'app', keyName: 'app.k', clientId, capability: ALL_CAPABILITY, viaKey: false },
      requestId: `req-${clientId}`,
    });
    const vote = { type: 'vote:multiple.v1', name: 'yes', messageSerial: SERIAL };

    // Node A records its annotation first, but its summary (version 1) is slow to reach the broker.
    const first = service(slow).publish(KEY, 'room', who('a'), vote);
    await slow.holding;
    // Node B records the next one (version 2) and sends its summary at once.
    await service(broker).publish(KEY, 'room', who('b'), vote);
    slow.release();
    await first;

    const totals = delivered.map(
      (m) => (m.annotations?.summary?.['vote:multiple.v1'] as { yes: { total: number } } | undefined)?.yes.total,
    );
    assert.deepEqual(totals, [2], 'only the newer summary went out; the older one was dropped, not sent after it');
  });
});
