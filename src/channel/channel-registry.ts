import type { Attachment } from '../connection/connection.ts';

/**
 * Which local connections are attached to which channel (keyed by namespaced channel key). The first attachment
 * of a channel and the last detachment are reported so the caller can (un)subscribe the node from the broker.
 */
export class ChannelRegistry {
  private readonly byChannel = new Map<string, Set<Attachment>>();
  /** Told of every change (first attachment, last detachment, any other): channel lifecycle and occupancy events. */
  listener: ((channel: string, change: 'opened' | 'closed' | 'changed') => void) | undefined;

  /** Returns true when this is the channel's first local attachment. */
  add(attachment: Attachment): boolean {
    let set = this.byChannel.get(attachment.channel);
    const first = !set;
    if (!set) this.byChannel.set(attachment.channel, (set = new Set()));
    set.add(attachment);
    this.listener?.(attachment.channel, first ? 'opened' : 'changed');
    return first;
  }

  /** Returns true when that was the channel's last local attachment. */
  remove(attachment: Attachment): boolean {
    const set = this.byChannel.get(attachment.channel);
    if (!set?.delete(attachment)) return false;
    const last = set.size === 0;
    if (last) this.byChannel.delete(attachment.channel);
    this.listener?.(attachment.channel, last ? 'closed' : 'changed');
    return last;
  }

  attachments(channel: string): ReadonlySet<Attachment> {
    return this.byChannel.get(channel) ?? EMPTY;
  }

  /** Number of channels with at least one local attachment. */
  get size(): number {
    return this.byChannel.size;
  }

  /** Keys of channels with at least one local attachment. */
  channels(): IterableIterator<string> {
    return this.byChannel.keys();
  }
}

const EMPTY: ReadonlySet<Attachment> = new Set();
