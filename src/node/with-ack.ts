import type { Connection } from '../connection/connection.ts';
import type { Outcome } from '../connection/serial-tracker.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Action, type ProtocolMessage } from '../protocol/index.ts';

/**
 * Runs an acknowledged operation (MESSAGE, PRESENCE) exactly once per msgSerial and answers it with exactly one
 * ACK or NACK. A retransmit of a serial already handled (after a resume) gets the same answer again, unapplied.
 */
export async function withAck(
  conn: Connection,
  message: ProtocolMessage,
  operation: () => Promise<{ serials: Array<string | null> }>,
): Promise<void> {
  const serial = message.msgSerial;
  if (serial !== undefined && conn.serials.seen(serial)) return answer(conn, serial, conn.serials.outcome(serial));
  let outcome: Outcome;
  try {
    outcome = { ok: true, res: await operation() };
  } catch (err) {
    outcome = { ok: false, error: ErrorInfo.from(err).toWire() };
  }
  if (serial === undefined) {
    if (!outcome.ok) conn.send({ action: Action.ERROR, channel: message.channel, error: outcome.error });
    return;
  }
  conn.serials.record(serial, outcome);
  answer(conn, serial, outcome);
}

function answer(conn: Connection, msgSerial: number, outcome: Outcome): void {
  if (outcome.ok) {
    conn.metrics?.acks.inc();
    conn.send({ action: Action.ACK, msgSerial, count: 1, res: [outcome.res] });
  } else {
    conn.metrics?.nacks.get(outcome.error.code).inc();
    conn.send({ action: Action.NACK, msgSerial, count: 1, error: outcome.error });
  }
}
