import type { Annotated, AnnotationPage, AnnotationStore, SummaryFold } from '../../messages/annotation-store.ts';
import type { SummaryState } from '../../messages/summary.ts';
import type { Annotation } from '../../protocol/index.ts';
import type { Clock } from '../../time/clock.ts';
import { parseMessageSerial } from '../serial.ts';
import { type AgedRecordLimits, AgedRecords } from './aged-records.ts';

interface AnnotatedMessage {
  state?: SummaryState;
  version: number;
  /** Serial of the last annotation folded into `state` ('' before the first). */
  folded: string;
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

  async add(channel: string, annotation: Annotation): Promise<void> {
    const messageSerial = annotation.messageSerial ?? '';
    const rec = this.records.get(channel, messageSerial) ?? { version: 0, folded: '', items: [] };
    // The broker lists annotations in serial order; the search only matters if one ever is not.
    const serial = annotation.serial ?? '';
    let i = rec.items.length;
    while (i > 0 && (rec.items[i - 1]?.serial ?? '') > serial) i--;
    rec.items.splice(i, 0, annotation);
    this.records.touch(channel, messageSerial, rec);
  }

  async annotate(channel: string, messageSerial: string, fold: SummaryFold): Promise<Annotated> {
    const rec = this.records.get(channel, messageSerial);
    if (!rec) return { version: 0 };
    let state = rec.state;
    let changed = false;
    let last: Annotation | undefined;
    for (const a of rec.items) {
      if ((a.serial ?? '') <= rec.folded) continue;
      const next = fold(state, a);
      if (next) [state, changed] = [next, true];
      last = a;
    }
    if (!last) return { version: rec.version };
    rec.state = state;
    rec.folded = last.serial ?? '';
    rec.version = Math.max(rec.version + 1, parseMessageSerial(last.serial)?.seq ?? 0);
    this.records.touch(channel, messageSerial, rec);
    return { state: changed ? state : undefined, version: rec.version };
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
