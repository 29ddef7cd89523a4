import type { Clock } from '../../time/clock.ts';
import { DEDUPE_WINDOW, type PublishDedupe } from '../publish-dedupe.ts';

/** At most this many publishes are remembered per server, so memory stays bounded under any load. */
export const DEDUPE_CAPACITY = 20_000;

interface Entry {
  at: number;
  result: Promise<unknown>;
}

/**
 * Recent publishes in process memory, oldest evicted first. Single node only: a retry that reaches another node
 * is published again (cluster mode uses RedisPublishDedupe).
 */
export class MemoryPublishDedupe implements PublishDedupe {
  private readonly recent = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly window = DEDUPE_WINDOW,
    private readonly capacity = DEDUPE_CAPACITY,
  ) {}

  once<R>(key: string, publish: () => Promise<R>): Promise<R> {
    const now = this.clock.now();
    this.evict(now);
    const known = this.recent.get(key);
    if (known) return known.result as Promise<R>;
    const result = publish();
    this.recent.set(key, { at: now, result });
    result.catch(() => {
      if (this.recent.get(key)?.result === result) this.recent.delete(key);
    });
    return result;
  }

  /** Entries are in insertion (= time) order, so eviction only ever looks at the oldest ones. */
  private evict(now: number): void {
    for (const [key, entry] of this.recent) {
      if (this.recent.size < this.capacity && now - entry.at < this.window) break;
      this.recent.delete(key);
    }
  }
}
