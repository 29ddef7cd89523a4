import type { Message } from '../protocol/index.ts';

/** What a message's data is, so a store that keeps it as bytes can give it back as it came. */
export type DataType = 'string' | 'binary' | 'none';

/** The latest version of an operated-on message without its data (small: rewritten on every operation). */
export interface MessageHead {
  message: Omit<Message, 'data'>;
  dataType: DataType;
}

/**
 * Messages that have been changed by operations (update, delete, append), per channel and message serial. A
 * message nobody changed is not here: its create event in history is its only version.
 *
 * Appends must stay cheap however long the stream: `apply` with an append adds the piece to the stored data
 * (never rewrites it), and reading a head never reads the data.
 */
export interface MessageStore {
  /** The latest version's head of an operated-on message; undefined when it was never operated on (or expired). */
  head(channel: string, serial: string): Promise<MessageHead | undefined>;
  /**
   * Records one operation. `next` is the message's head after it (computed by the caller from the head it read);
   * `data` is the piece to append (`mode: 'append'`) or the data that replaces the old (`'replace'`). `seed` is
   * the message as created, given when the message has no record yet: its data is what an append appends to.
   * `op` is the operation as delivered to subscribers, kept for the message's version list.
   */
  apply(channel: string, change: MessageChange): Promise<void>;
  /** Latest full versions (head + data) of those of `serials` that were operated on. */
  latest(channel: string, serials: string[]): Promise<Map<string, Message>>;
  /** The operations on a message, oldest first, as delivered (an append carries only its piece). */
  operations(channel: string, serial: string): Promise<Message[]>;
}

/**
 * One operation on a message. Given to `Broker.publish` (`PublishOptions.apply`) before its event is numbered, its
 * `next.message.version` and `op.version` lack the serial; the broker sets it (src/messages/fold.ts
 * `versionedChange`).
 */
export interface MessageChange {
  serial: string;
  next: MessageHead;
  mode: 'append' | 'replace';
  data: Message['data'];
  seed?: Message;
  op: Message;
}
