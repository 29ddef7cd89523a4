/**
 * A count the hot path bumps with one property increment. prom-client's own `inc()` hashes and validates its
 * labels on every call (even through `labels(...)` children), so counters on the frame path are Tallies instead,
 * and the registry reads them when it is scraped (see {@link Metrics.counter}).
 */
export class Tally {
  value = 0;

  inc(by = 1): void {
    this.value += by;
  }
}

/**
 * The Tallies of one labelled counter, one per label value. Known values are created up front (so they show as 0
 * before anything happened); hot-path callers hold the Tally they need, and `get` serves cold paths whose label
 * values are not known in advance (e.g. error codes), creating a Tally on first use.
 */
export class TallyFamily<V extends string | number = string> {
  private readonly cells = new Map<V, Tally>();

  constructor(initial: readonly V[] = []) {
    for (const value of initial) this.get(value);
  }

  /** The Tally for one label value (created on first use; the same object every time after). */
  get(value: V): Tally {
    let cell = this.cells.get(value);
    if (!cell) this.cells.set(value, (cell = new Tally()));
    return cell;
  }

  entries(): IterableIterator<[V, Tally]> {
    return this.cells.entries();
  }
}

/**
 * Tallies indexed by a small integer code (a ProtocolMessage action, a presence action): an array index instead of
 * a label lookup. Codes outside the table count under `other`.
 */
export class CodeTallies {
  private readonly cells: Tally[] = [];
  readonly other = new Tally();

  /** `names[code]` is the label value for `code`; codes with no name count as `other`. */
  constructor(readonly names: Readonly<Record<number, string>>) {
    for (const code of Object.keys(names)) this.cells[Number(code)] = new Tally();
  }

  inc(code: number, by = 1): void {
    (this.cells[code] ?? this.other).value += by;
  }

  /** Each named code's label and count, then `other` once anything counted there. */
  *entries(): IterableIterator<[string, Tally]> {
    for (const [code, cell] of this.cells.entries()) if (cell) yield [this.names[code] as string, cell];
    if (this.other.value > 0) yield ['other', this.other];
  }
}
