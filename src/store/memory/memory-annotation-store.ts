import type { Annotated, AnnotationPage, AnnotationStore, SummaryFold } from '../../messages/annotation-store.ts';
import type { SummaryState } from '../../messages/summary.ts';
import type { Annotation } from '../../protocol/index.ts';
import type { Clock } from '../../time/clock.ts';
import { parseMessageSerial } from '../serial.ts';

interface AnnotatedMessage {
  state?: SummaryState;
  version: number;
  /** In serial order. */
  items: Annotation[];
  /** Last annotation time, for retention. */
  at: number;
}

export interface MemoryAnnotationStoreLimits {
  /** Messages not annotated for this long (ms) are forgotten (history's age limit: the message is gone by then). */
  maxAge: number;
  /** Most annotated messages kept per channel (least recently annotated dropped first). */
  maxPerChannel: number;
}

/** Annotations and summary states in process memory. Single node only; lost on restart. */
export class MemoryAnnotationStore implements AnnotationStore {
  private readonly channels = new Map<string, Map<string, AnnotatedMessage>>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: MemoryAnnotationStoreLimits,
  ) {}

  async annotate(channel: string, messageSerial: string, annotation: Annotation, fold: SummaryFold): Promise<Annotated> {
    let records = this.channels.get(channel);
    if (!records) this.channels.set(channel, (records = new Map()));
    const rec = this.record(channel, messageSerial) ?? { version: 0, items: [], at: 0 };
    const next = fold(rec.state);
    if (next) rec.state = next;
    rec.version = Math.max(rec.version + 1, parseMessageSerial(annotation.serial)?.seq ?? 0);
    // Annotations arrive in serial order on one node; the search only matters if one ever does not.
    const serial = annotation.serial ?? '';
    let i = rec.items.length;
    while (i > 0 && (rec.items[i - 1]?.serial ?? '') > serial) i--;
    rec.items.splice(i, 0, annotation);
    rec.at = this.clock.now();
    records.delete(messageSerial);
    records.set(messageSerial, rec);
    while (records.size > this.limits.maxPerChannel) records.delete(records.keys().next().value as string);
    return { state: next, version: rec.version };
  }

  async summaries(channel: string, serials: string[]): Promise<Map<string, SummaryState>> {
    const out = new Map<string, SummaryState>();
    for (const serial of serials) {
      const state = this.record(channel, serial)?.state;
      if (state) out.set(serial, state);
    }
    return out;
  }

  async list(channel: string, messageSerial: string, limit: number, cursor?: string): Promise<AnnotationPage> {
    const items = this.record(channel, messageSerial)?.items ?? [];
    const from = cursor === undefined ? 0 : Number(cursor);
    const end = from + limit;
    return { items: items.slice(from, end), next: end < items.length ? String(end) : undefined };
  }

  private record(channel: string, serial: string): AnnotatedMessage | undefined {
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
