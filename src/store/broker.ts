import type { MessageChange } from '../messages/message-store.ts';
import type { ProtocolMessage } from '../protocol/index.ts';
import type { HistoryKind } from './history-store.ts';

/** One MESSAGE or PRESENCE event on a channel, numbered by the broker. */
export interface ChannelEvent {
  /** Namespaced channel key (`appId:name`). */
  channel: string;
  /** `<epoch>-<seq>`, also stamped as the message's channelSerial. */
  serial: string;
  seq: number;
  /** The connection whose operation caused it (for echo rules); undefined for server-generated events. */
  origin?: string;
  message: ProtocolMessage;
  /**
   * Set by `publish` when the broker recognized a retransmission of a publish it already delivered (a client
   * resuming, possibly on another node): nothing was delivered again, `serial` is the earlier one, and the caller
   * must not store it again.
   */
  duplicate?: boolean;
  /**
   * Set by `publish` when `PublishOptions.supersede` found a newer version already published under the same key:
   * nothing was numbered or delivered (`serial` is empty, `seq` 0), and the caller must not store it.
   */
  superseded?: boolean;
}

/** How one publish is made. */
export interface PublishOptions {
  /**
   * Publish only if `version` is higher than every version published before under `key` on this channel, atomically
   * with the numbering: of two events that state the same thing at different versions (a message's annotation
   * summary, computed on two nodes at once) only newer ones go out, whatever order they reach the broker in.
   * Versions are kept for as long as the channel's numbering.
   */
  supersede?: { key: string; version: number };
  /**
   * Also keep the event in the channel's history of this kind, in the same atomic step as its numbering and
   * fan-out (issue 16): an event that was delivered, and whose publisher may then be acknowledged after
   * retransmitting it to another node (`duplicate`), is in history however the publishing node dies. A duplicate or
   * superseded publish stores nothing. History leaves out ephemeral items (`HistoryStore`); a caller whose every
   * item is ephemeral leaves this out.
   */
  history?: HistoryKind;
  /**
   * Also record the event as an operation on the message it changes (update, delete or append: the event's only
   * item), in the same atomic step as its numbering, fan-out and `history` (issue 16): an operation that was
   * delivered, and whose retransmission on another node is answered as a `duplicate`, is in the message's stored
   * version however the publishing node dies; and operations on one message are recorded in the order of their
   * serials, from whichever nodes they come. The broker sets the version serial (`MessageChange`). A duplicate or
   * superseded publish records nothing.
   */
  apply?: MessageChange;
  /**
   * Also list the event's only item, an annotation, on the message it annotates (AnnotationStore `add`), in the same
   * atomic step as its numbering, fan-out and `history` (issue 16): an annotation that was delivered, and whose
   * retransmission on another node is answered as a `duplicate`, is listed however the publishing node dies, and
   * the next fold of the message's summary, from any node, folds it in; and listing happens in serial order, so
   * folds do too. A duplicate or superseded publish lists nothing.
   */
  annotate?: boolean;
}

/**
 * Channel fan-out across nodes. `publish` assigns the channel's next serial and delivers the event to every
 * subscribed node's handler (this node included) exactly once, in serial order per channel. Each backend is built
 * with the HistoryStore, MessageStore and AnnotationStore it writes to when a publish asks for `history`, `apply`
 * or `annotate`.
 */
export interface Broker {
  publish(channel: string, message: ProtocolMessage, origin?: string, options?: PublishOptions): Promise<ChannelEvent>;
  /** Starts delivering the channel's events to `onEvent` on this node. Idempotent. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Installs the handler events are delivered to (one per node). */
  onEvent(handler: (event: ChannelEvent) => void): void;
  /** The serial of the channel's latest event (seq 0 if none yet). */
  currentSerial(channel: string): Promise<string>;
  close(): Promise<void>;
}
