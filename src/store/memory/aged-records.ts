import type { Clock } from '../../time/clock.ts';

export interface AgedRecordLimits {
  /** Records untouched this long (ms) are dropped (history's age limit: the message itself is gone by then). */
  maxAge: number;
  /** Most records kept per channel (least recently touched dropped first). */
  maxPerChannel: number;
}

/**
 * Per-channel records keyed by message serial, kept while touched within `maxAge` and at most `maxPerChannel` per
 * channel, least recently touched dropped first. The memory message and annotation stores keep their per-message
 * state in one of these.
 */
export class AgedRecords<T> {
  /** Each channel's map is kept in order of last touch, oldest first. */
  private readonly channels = new Map<string, Map<string, { record: T; at: number }>>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: AgedRecordLimits,
  ) {}

  /** The record, or undefined when there is none or it aged out (it is then forgotten). */
  get(channel: string, serial: string): T | undefined {
    const records = this.channels.get(channel);
    const entry = records?.get(serial);
    if (!records || !entry) return undefined;
    if (entry.at < this.clock.now() - this.limits.maxAge) {
      records.delete(serial);
      if (records.size === 0) this.channels.delete(channel);
      return undefined;
    }
    return entry.record;
  }

  /** Stores the record as touched now, and drops the channel's least recently touched beyond the cap. */
  touch(channel: string, serial: string, record: T): void {
    // Looked up here, not before the caller's get(): that get may have removed an emptied channel map.
    let records = this.channels.get(channel);
    if (!records) this.channels.set(channel, (records = new Map()));
    records.delete(serial);
    records.set(serial, { record, at: this.clock.now() });
    while (records.size > this.limits.maxPerChannel) records.delete(records.keys().next().value as string);
  }
}
