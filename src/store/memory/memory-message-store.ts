import { concatData } from '../../messages/fold.ts';
import type { MessageChange, MessageHead, MessageStore } from '../../messages/message-store.ts';
import type { Message } from '../../protocol/index.ts';
import type { Clock } from '../../time/clock.ts';
import { type AgedRecordLimits, AgedRecords } from './aged-records.ts';

interface StoredMessage {
  head: MessageHead;
  data: Message['data'];
  ops: Message[];
}

/** Records untouched for `maxAge` are dropped; at most `maxPerChannel` operated-on messages per channel. */
export type MemoryMessageStoreLimits = AgedRecordLimits;

/**
 * Operated-on messages in process memory. Appends concatenate onto the stored data (V8 strings concatenate
 * without copying). Single node only; lost on restart.
 */
export class MemoryMessageStore implements MessageStore {
  private readonly records: AgedRecords<StoredMessage>;

  constructor(clock: Clock, limits: MemoryMessageStoreLimits) {
    this.records = new AgedRecords(clock, limits);
  }

  async head(channel: string, serial: string): Promise<MessageHead | undefined> {
    return this.records.get(channel, serial)?.head;
  }

  async apply(channel: string, change: MessageChange): Promise<void> {
    const rec = this.records.get(channel, change.serial) ?? { head: change.next, data: change.seed?.data, ops: [] };
    rec.data = change.mode === 'append' ? concatData(rec.data, change.data) : change.data;
    rec.head = change.next;
    rec.ops.push(change.op);
    this.records.touch(channel, change.serial, rec);
  }

  async latest(channel: string, serials: string[]): Promise<Map<string, Message>> {
    const out = new Map<string, Message>();
    for (const serial of serials) {
      const rec = this.records.get(channel, serial);
      if (!rec) continue;
      out.set(serial, rec.head.dataType === 'none' ? { ...rec.head.message } : { ...rec.head.message, data: rec.data });
    }
    return out;
  }

  async operations(channel: string, serial: string): Promise<Message[]> {
    return [...(this.records.get(channel, serial)?.ops ?? [])];
  }
}
