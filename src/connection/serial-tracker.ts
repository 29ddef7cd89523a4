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
  private readonly outcomes = new Map<number, Outcome>();

  /** True when `msgSerial` was processed already. */
  seen(msgSerial: number): boolean {
    return msgSerial <= this.highest;
  }

  /** The remembered outcome of a processed serial; a forgotten one is reported as a plain success. */
  outcome(msgSerial: number): Outcome {
    return this.outcomes.get(msgSerial) ?? { ok: true, res: { serials: [] } };
  }

  record(msgSerial: number, outcome: Outcome): void {
    this.highest = Math.max(this.highest, msgSerial);
    this.outcomes.set(msgSerial, outcome);
    if (this.outcomes.size > REMEMBERED) {
      const oldest = this.outcomes.keys().next().value as number;
      this.outcomes.delete(oldest);
    }
  }
}
