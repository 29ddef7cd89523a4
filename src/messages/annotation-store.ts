import type { Annotation } from '../protocol/index.ts';
import type { SummaryState } from './summary.ts';

/** One page of a message's annotations, oldest (lowest serial) first. */
export interface AnnotationPage {
  items: Annotation[];
  /** Opaque cursor of the next page; undefined on the last page. */
  next?: string;
}

/**
 * What an annotation does to a message's summary state: the state after it, or undefined when its type is
 * summarised by nothing (src/messages/summary.ts `applyAnnotation`). Must be pure: a store may call it again
 * with a newer state when another node got there first.
 */
export type SummaryFold = (state: SummaryState | undefined) => SummaryState | undefined;

/** The outcome of recording one annotation. */
export interface Annotated {
  /** The message's summary state after the annotation; undefined when the annotation changed no summary. */
  state?: SummaryState;
  /**
   * Higher than the version of every annotation recorded on the message before, and at least the event seq of this
   * annotation's serial: versions keep rising in the order annotations are recorded, even after the store forgot
   * the message (expired or evicted), since seqs only grow. Summaries carry it (Broker `supersede`).
   */
  version: number;
}

/**
 * Annotations per channel and message serial, and each message's summary state. Recording is atomic per message
 * across every node sharing the store: the summary is folded from the latest state exactly once per annotation
 * (a store shared by nodes retries the fold against the newer state instead of losing an update).
 */
export interface AnnotationStore {
  /** Records `annotation` (already carrying its serial) on message `messageSerial` and folds it into the summary. */
  annotate(channel: string, messageSerial: string, annotation: Annotation, fold: SummaryFold): Promise<Annotated>;
  /** The summary states of those of `serials` that have any. */
  summaries(channel: string, serials: string[]): Promise<Map<string, SummaryState>>;
  /** A page of a message's annotations in serial order; `cursor` from the previous page. */
  list(channel: string, messageSerial: string, limit: number, cursor?: string): Promise<AnnotationPage>;
}
