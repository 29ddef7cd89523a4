import type { Data } from '../protocol/index.ts';

/**
 * One presence member as stored: the last ENTER/UPDATE that made it what it is. SYNC replays exactly these fields
 * (with action PRESENT), so `id` and `timestamp` are the original ones (Ably RTP2 newness rules depend on it).
 */
export interface PresenceMember {
  id: string;
  clientId: string;
  connectionId: string;
  data?: Data;
  encoding?: string;
  extras?: Record<string, unknown>;
  timestamp: number;
}

/** What a member looks like on leaving: the member with the leave's own id, timestamp and (optional) data. */
export interface LeaveDetails {
  /** The client's LEAVE id (`C:N:i`); undefined for server-generated leaves. */
  id?: string;
  timestamp: number;
  data?: Data;
  encoding?: string;
  extras?: Record<string, unknown>;
}

/** Ably's member key: one per (clientId, connectionId), so one user on two devices is two members. */
export const memberKey = (clientId: string, connectionId: string): string => `${clientId}:${connectionId}`;

/** The result of a presence mutation: who entered, who changed, who left. Empty when nothing is to be broadcast. */
export interface PresenceDiff {
  entered: PresenceMember[];
  updated: PresenceMember[];
  left: Array<PresenceMember & { leave: LeaveDetails }>;
}

export const emptyDiff = (): PresenceDiff => ({ entered: [], updated: [], left: [] });

export const isEmptyDiff = (d: PresenceDiff): boolean => d.entered.length + d.updated.length + d.left.length === 0;

/** The member's payload fields (data, encoding, extras) that are set, and no keys for those that are not. */
export function payloadOf(
  m: Pick<PresenceMember, 'data' | 'encoding' | 'extras'>,
): Pick<PresenceMember, 'data' | 'encoding' | 'extras'> {
  const out: Pick<PresenceMember, 'data' | 'encoding' | 'extras'> = {};
  if (m.data !== undefined) out.data = m.data;
  if (m.encoding !== undefined) out.encoding = m.encoding;
  if (m.extras !== undefined) out.extras = m.extras;
  return out;
}

/** `member` carrying `from`'s payload instead of its own (id, timestamp and identity unchanged). */
export function withPayloadOf(member: PresenceMember, from: PresenceMember): PresenceMember {
  const { id, clientId, connectionId, timestamp } = member;
  return { id, clientId, connectionId, ...payloadOf(from), timestamp };
}
