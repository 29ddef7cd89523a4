import type { Annotation } from '../protocol/index.ts';
import type { SummaryState } from './summary.ts';

/** One page of a message's annotations, oldest (lowest serial) first. */
export interface AnnotationPage {
  items: Annotation[];
  /** Opaque cursor of the next page; undefined on the last page. */
  next?: string;
}

/**
 * What one annotation does to a message's summary state: the state after it, or undefined when its type is
 * summarised by nothing (src/messages/summary.ts `applyAnnotation`). Must be pure: a store may call it again
 * with a newer state when another node got there first.
 */
export type SummaryFold = (state: SummaryState | undefined, annotation: Annotation) => SummaryState | undefined;

/** The outcome of folding a message's annotations into its summary. */
export interface Annotated {
  /**
   * The message's summary state after the fold; undefined when it folded nothing that changes a summary (nothing
   * new, or only types no method summarises).
   */
  state?: SummaryState;
  /**
   * Higher than the version of every fold of the message before that folded anything, and at least the event seq of
   * the last annotation folded: versions keep rising in serial order, even after the store forgot the message
   * (expired or evicted), since seqs only grow. Summaries carry it (Broker `supersede`). Unchanged when there was
   * nothing to fold.
   */
  version: number;
}

/**
 * Annotations per channel and message serial, and each message's summary state with the serial of the last
 * annotation folded into it. Listing an annotation and folding it are two steps (issue 16): the broker lists it in
 * the step that numbers and delivers it (PublishOptions `annotate`), so a delivered annotation is listed however its
 * node dies; any later fold of the message, from whichever node, folds it in. A fold is atomic per message across
 * every node sharing the store: each listed annotation is folded exactly once, in serial order (a store shared by
 * nodes retries the fold against the newer state instead of losing an update).
 */
export interface AnnotationStore {
  /**
   * Lists `annotation` (carrying its serial and its message's) on its message, not yet folded. Made by the broker's
   * publish step; an annotation listed after one with a higher serial was folded may be left out of the summary.
   */
  add(channel: string, annotation: Annotation): Promise<void>;
  /**
   * Folds every annotation listed on message `messageSerial` after the last one folded into its summary, in serial
   * order, with `fold`; nothing when none is new.
   */
  annotate(channel: string, messageSerial: string, fold: SummaryFold): Promise<Annotated>;
  /** The summary states of those of `serials` that have any. */
  summaries(channel: string, serials: string[]): Promise<Map<string, SummaryState>>;
  /** A page of a message's annotations in serial order; `cursor` from the previous page. */
  list(channel: string, messageSerial: string, limit: number, cursor?: string): Promise<AnnotationPage>;
}
