import type { Clock, TimerHandle } from './clock.ts';

interface PendingTimer {
  id: number;
  due: number;
  fn: () => void;
  every?: number;
}

/** A clock that moves only when a test calls {@link ManualClock.advance}. */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, PendingTimer>();

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.current + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    if ('id' in handle && typeof handle.id === 'number') this.timers.delete(handle.id);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const every = Math.max(1, ms);
    this.timers.set(id, { id, due: this.current + every, fn, every });
    return { id };
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** Number of timers still scheduled. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in deadline order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: PendingTimer | undefined;
      for (const t of this.timers.values()) if (t.due <= target && (!next || t.due < next.due)) next = t;
      if (!next) break;
      this.current = next.due;
      if (next.every) next.due += next.every;
      else this.timers.delete(next.id);
      next.fn();
    }
    this.current = target;
  }
}
