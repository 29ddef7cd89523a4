import type { Annotated, AnnotationPage, AnnotationStore, SummaryFold } from '../../messages/annotation-store.ts';
import type { SummaryState } from '../../messages/summary.ts';
import type { Annotation } from '../../protocol/index.ts';
import type { Clock } from '../../time/clock.ts';
import { parseMessageSerial } from '../serial.ts';
import { type AgedRecordLimits, AgedRecords } from './aged-records.ts';

interface AnnotatedMessage {
  state?: SummaryState;
  version: number;
  /** In serial order. */
  items: Annotation[];
}

/** Messages not annotated for `maxAge` are forgotten; at most `maxPerChannel` annotated messages per channel. */
export type MemoryAnnotationStoreLimits = AgedRecordLimits;

/** Annotations and summary states in process memory. Single node only; lost on restart. */
export class MemoryAnnotationStore implements AnnotationStore {
  private readonly records: AgedRecords<AnnotatedMessage>;

  constructor(clock: Clock, limits: MemoryAnnotationStoreLimits) {
    this.records = new AgedRecords(clock, limits);
  }

  async annotate(channel: string, messageSerial: string, annotation: Annotation, fold: SummaryFold): Promise<Annotated> {
    const rec = this.records.get(channel, messageSerial) ?? { version: 0, items: [] };
    const next = fold(rec.state);
    if (next) rec.state = next;
    rec.version = Math.max(rec.version + 1, parseMessageSerial(annotation.serial)?.seq ?? 0);
    // Annotations arrive in serial order on one node; the search only matters if one ever does not.
    const serial = annotation.serial ?? '';
    let i = rec.items.length;
    while (i > 0 && (rec.items[i - 1]?.serial ?? '') > serial) i--;
    rec.items.splice(i, 0, annotation);
    this.records.touch(channel, messageSerial, rec);
    return { state: next, version: rec.version };
  }

  async summaries(channel: string, serials: string[]): Promise<Map<string, SummaryState>> {
    const out = new Map<string, SummaryState>();
    for (const serial of serials) {
      const state = this.records.get(channel, serial)?.state;
      if (state) out.set(serial, state);
    }
    return out;
  }

  async list(channel: string, messageSerial: string, limit: number, cursor?: string): Promise<AnnotationPage> {
    const items = this.records.get(channel, messageSerial)?.items ?? [];
    const from = cursor === undefined ? 0 : Number(cursor);
    const end = from + limit;
    return { items: items.slice(from, end), next: end < items.length ? String(end) : undefined };
  }
}
