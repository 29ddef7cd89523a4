/**
 * Remembers TokenRequest nonces for as long as their timestamps are acceptable, so a captured request cannot be
 * replayed. Bounded: beyond `capacity` entries the oldest are forgotten first (they are also the closest to falling
 * out of the timestamp window, after which a replay is refused on its timestamp anyway).
 */
export class NonceMemory {
  /** `keyName\nnonce` → time after which the entry is useless. Insertion order ≈ time order. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  /** Records the nonce; false when it was already seen and has not expired. */
  remember(keyName: string, nonce: string, forgetAfter: number, now: number): boolean {
    this.prune(now);
    const id = `${keyName}\n${nonce}`;
    const until = this.seen.get(id);
    if (until !== undefined && until >= now) return false;
    this.seen.delete(id);
    this.seen.set(id, forgetAfter);
    while (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value as string);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    for (const [id, until] of this.seen) {
      if (until >= now) break;
      this.seen.delete(id);
    }
  }
}
