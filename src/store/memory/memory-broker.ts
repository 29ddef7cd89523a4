import type { AnnotationStore } from '../../messages/annotation-store.ts';
import { versionedChange } from '../../messages/fold.ts';
import type { MessageStore } from '../../messages/message-store.ts';
import type { ProtocolMessage } from '../../protocol/index.ts';
import { systemClock } from '../../time/clock.ts';
import type { Broker, ChannelEvent, PublishOptions } from '../broker.ts';
import { formatSerial, messageSerial, newEpoch } from '../serial.ts';
import { stampSerial } from '../stamp.ts';
import type { MemoryHistoryStore } from './memory-history-store.ts';

/** Supersede keys remembered (one per annotated message recently summarised). */
const MAX_VERSIONS = 100_000;

/**
 * In-process fan-out. Single node only. Serials restart under a new epoch each time the process starts, so
 * clients resuming after a restart correctly get no RESUMED. A publish with `history` is appended to `history`,
 * one with `apply` recorded in `messages`, and one with `annotate` listed in `annotations`, before it is delivered:
 * in one process nothing can die between them.
 * Cannot: record an operation or list an annotation when built without the store for it (throws).
 */
export class MemoryBroker implements Broker {
  private readonly epoch: string;
  private readonly seqs = new Map<string, number>();
  /** `<channel>\n<supersede key>` → the last version published under it; bounded, oldest forgotten first. */
  private readonly versions = new Map<string, number>();
  private readonly subscribed = new Set<string>();
  private handler: (event: ChannelEvent) => void = () => {};

  /**
   * `history`: where publishes that ask for it are kept; a memory store, whose append does no I/O, so events are
   * still delivered in the order they were numbered. `startedAt` (ms) begins the epoch, so the numbering of a
   * restarted process sorts after the previous one's. `messages`: where operations are recorded (`apply`); a
   * memory store too, for the same reason. `annotations`: where annotations are listed (`annotate`); a memory store.
   */
  constructor(
    private readonly history: MemoryHistoryStore,
    startedAt: number = systemClock.now(),
    private readonly messages?: MessageStore,
    private readonly annotations?: AnnotationStore,
  ) {
    this.epoch = newEpoch(startedAt);
  }

  async publish(channel: string, message: ProtocolMessage, origin?: string, options?: PublishOptions): Promise<ChannelEvent> {
    const apply = options?.apply;
    // Checked before numbering, so a publish it refuses takes no serial.
    if (apply && !this.messages) throw new Error('MemoryBroker built without a message store cannot record an operation');
    if (options?.annotate && !this.annotations)
      throw new Error('MemoryBroker built without an annotation store cannot list an annotation');
    const supersede = options?.supersede;
    if (supersede) {
      const id = `${channel}\n${supersede.key}`;
      if (supersede.version <= (this.versions.get(id) ?? 0))
        return { channel, serial: '', seq: 0, origin, message, superseded: true };
      this.versions.delete(id);
      this.versions.set(id, supersede.version);
      if (this.versions.size > MAX_VERSIONS) this.versions.delete(this.versions.keys().next().value as string);
    }
    const seq = (this.seqs.get(channel) ?? 0) + 1;
    this.seqs.set(channel, seq);
    const serial = formatSerial({ epoch: this.epoch, seq });
    const event: ChannelEvent = { channel, serial, seq, origin, message: stampSerial(message, serial) };
    if (options?.history) await this.history.append(options.history, event);
    if (apply && this.messages) await this.messages.apply(channel, versionedChange(apply, messageSerial(serial, 0)));
    const annotation = event.message.annotations?.[0];
    if (options?.annotate && annotation && this.annotations) await this.annotations.add(channel, annotation);
    if (this.subscribed.has(channel)) this.handler(event);
    return event;
  }

  async subscribe(channel: string): Promise<void> {
    this.subscribed.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.subscribed.delete(channel);
  }

  onEvent(handler: (event: ChannelEvent) => void): void {
    this.handler = handler;
  }

  async currentSerial(channel: string): Promise<string> {
    return formatSerial({ epoch: this.epoch, seq: this.seqs.get(channel) ?? 0 });
  }

  async close(): Promise<void> {
    this.subscribed.clear();
  }
}
