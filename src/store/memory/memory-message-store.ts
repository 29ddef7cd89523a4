import { concatData } from '../../messages/fold.ts';
import type { MessageChange, MessageHead, MessageStore } from '../../messages/message-store.ts';
import type { Message } from '../../protocol/index.ts';
import type { Clock } from '../../time/clock.ts';

interface StoredMessage {
  head: MessageHead;
  data: Message['data'];
  ops: Message[];
  /** Last operation time, for retention. */
  at: number;
}

export interface MemoryMessageStoreLimits {
  /** Records untouched this long (ms) are dropped (history's age limit: the message itself is gone by then). */
  maxAge: number;
  /** Most operated-on messages kept per channel (oldest-touched dropped first). */
  maxPerChannel: number;
}

/**
 * Operated-on messages in process memory. Appends concatenate onto the stored data (V8 strings concatenate
 * without copying). Single node only; lost on restart.
 */
export class MemoryMessageStore implements MessageStore {
  private readonly channels = new Map<string, Map<string, StoredMessage>>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: MemoryMessageStoreLimits,
  ) {}

  async head(channel: string, serial: string): Promise<MessageHead | undefined> {
    return this.record(channel, serial)?.head;
  }

  async apply(channel: string, change: MessageChange): Promise<void> {
    let records = this.channels.get(channel);
    if (!records) this.channels.set(channel, (records = new Map()));
    let rec = this.record(channel, change.serial);
    if (!rec) rec = { head: change.next, data: change.seed?.data, ops: [], at: 0 };
    rec.data = change.mode === 'append' ? concatData(rec.data, change.data) : change.data;
    rec.head = change.next;
    rec.ops.push(change.op);
    rec.at = this.clock.now();
    // Re-inserted so the map stays ordered by last touch, oldest first.
    records.delete(change.serial);
    records.set(change.serial, rec);
    while (records.size > this.limits.maxPerChannel) records.delete(records.keys().next().value as string);
  }

  async latest(channel: string, serials: string[]): Promise<Map<string, Message>> {
    const out = new Map<string, Message>();
    for (const serial of serials) {
      const rec = this.record(channel, serial);
      if (!rec) continue;
      out.set(serial, rec.head.dataType === 'none' ? { ...rec.head.message } : { ...rec.head.message, data: rec.data });
    }
    return out;
  }

  async operations(channel: string, serial: string): Promise<Message[]> {
    return [...(this.record(channel, serial)?.ops ?? [])];
  }

  private record(channel: string, serial: string): StoredMessage | undefined {
    const records = this.channels.get(channel);
    const rec = records?.get(serial);
    if (!records || !rec) return undefined;
    if (rec.at < this.clock.now() - this.limits.maxAge) {
      records.delete(serial);
      if (records.size === 0) this.channels.delete(channel);
      return undefined;
    }
    return rec;
  }
}
