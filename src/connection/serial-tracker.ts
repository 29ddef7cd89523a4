import type { WireError } from '../errors/index.ts';

export type Outcome = { ok: true; res: { serials: Array<string | null> } } | { ok: false; error: WireError };

/** How many recent outcomes are kept to re-answer retransmits after a resume. */
const REMEMBERED = 512;

/**
 * Remembers which msgSerials a connection has had processed, so that retransmits after a resume (RTN19a2) are
 * answered again with the same ACK or NACK and never applied twice.
 */
export class SerialTracker {
  private highest = -1;
  /** Outcomes worth remembering (NACKs, ACKs with serials); created on first need, as most connections never do. */
  private outcomes: Map<number, Outcome> | undefined;

  /** The highest msgSerial processed (-1: none), kept with the connection's state so another node can resume it. */
  get highWater(): number {
    return this.highest;
  }

  /** Continues a connection resumed from another node: serials up to `highWater` count as processed. */
  restore(highWater: number): void {
    this.highest = Math.max(this.highest, highWater);
  }

  /** True when `msgSerial` was processed already. */
  seen(msgSerial: number): boolean {
    return msgSerial <= this.highest;
  }

  /** The remembered outcome of a processed serial; a forgotten one is reported as a plain success. */
  outcome(msgSerial: number): Outcome {
    return this.outcomes?.get(msgSerial) ?? { ok: true, res: { serials: [] } };
  }

  record(msgSerial: number, outcome: Outcome): void {
    this.highest = Math.max(this.highest, msgSerial);
    // An empty ACK (every presence ACK) is what `outcome` reports for a serial it does not hold: nothing to keep.
    if (outcome.ok && outcome.res.serials.length === 0) return;
    this.outcomes ??= new Map();
    this.outcomes.set(msgSerial, outcome);
    if (this.outcomes.size > REMEMBERED) {
      const oldest = this.outcomes.keys().next().value as number;
      this.outcomes.delete(oldest);
    }
  }
}
