import type { Clock } from '../time/clock.ts';

/** How long a client-supplied message id is remembered, ms (Ably promises at least two minutes). */
export const DEDUPE_WINDOW = 2 * 60 * 1000;
/** At most this many publishes are remembered per server, so memory stays bounded under any load. */
export const DEDUPE_CAPACITY = 10_000;

interface Entry<R> {
  at: number;
  result: Promise<R>;
}

/**
 * Remembers REST publishes that carried client-supplied message ids, so a retried publish (the SDK's
 * `idempotentRestPublishing`, or an application retry) is applied once and answered with the first result.
 * One per server instance; single node only (another node would publish the retry again).
 */
export class PublishDedupe<R> {
  private readonly recent = new Map<string, Entry<R>>();

  constructor(
    private readonly clock: Clock,
    private readonly window = DEDUPE_WINDOW,
    private readonly capacity = DEDUPE_CAPACITY,
  ) {}

  /**
   * Runs `publish` unless the same key was published within the window; then resolves with that publish's result.
   * A concurrent duplicate waits for the first. A failed publish is forgotten, so the retry can succeed.
   */
  once(key: string, publish: () => Promise<R>): Promise<R> {
    const now = this.clock.now();
    this.evict(now);
    const known = this.recent.get(key);
    if (known) return known.result;
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
