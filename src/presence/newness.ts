/**
 * Ably's newness rule for presence messages of one connection (RTP2b2): ids are `<connectionId>:<msgSerial>:<index>`,
 * and of two messages from the same connection the one with the higher msgSerial, then the higher index, is newer.
 * Messages whose ids do not have that shape for the connection (synthesized leaves, fixtures) have no version and
 * never block anything.
 */
export type OpVersion = readonly [msgSerial: number, index: number];

const TAIL = /^(\d{1,15}):(\d{1,15})$/;

/** The (msgSerial, index) of `id` when it is an operation id of `connectionId`, else undefined. */
export function opVersion(id: string | undefined, connectionId: string): OpVersion | undefined {
  if (id === undefined || !id.startsWith(`${connectionId}:`)) return undefined;
  const m = TAIL.exec(id.slice(connectionId.length + 1));
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Negative when `a` is older than `b`, 0 when they are the same operation, positive when `a` is newer. */
export function compareVersions(a: OpVersion, b: OpVersion): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** True when an operation of version `op` must not overwrite what `last` applied (it is the same or older). */
export function isStale(op: OpVersion | undefined, last: OpVersion | undefined): boolean {
  return op !== undefined && last !== undefined && compareVersions(op, last) <= 0;
}
