import { type ProtocolMessage, packMsgpack, unpackMsgpack } from '../protocol/index.ts';

/**
 * Everything nodes say to each other, as one discriminated union on `type`, encoded in this one place (msgpack,
 * so binary payloads cross nodes untouched).
 */
export type ClusterMessage =
  /** A channel event on its way to every subscribed node; its serial travels beside it (assigned by Redis). */
  | { type: 'channel-event'; origin?: string; message: ProtocolMessage }
  /** A connection resumed on node `to`: its previous node drops its copy without a LEAVE. */
  | { type: 'connection-moved'; connectionId: string; to: string }
  /** Node `nodeId` missed its heartbeats and `by` removed its members. Informational. */
  | { type: 'node-down'; nodeId: string; by: string }
  /** Node `nodeId` wrote new occupancy counts for these channel keys: nodes with occupancy listeners recount. */
  | { type: 'occupancy-changed'; nodeId: string; channels: string[] };

// Same settings as the msgpack wire codec: numbers stay numbers, undefined fields are omitted.

export function encodeClusterMessage(message: ClusterMessage): Buffer {
  return packMsgpack(message);
}

/** Decodes a message from another node; undefined for anything unrecognised (a newer node's message type). */
export function decodeClusterMessage(bytes: Buffer): ClusterMessage | undefined {
  let value: unknown;
  try {
    value = unpackMsgpack(bytes);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  if (type === 'channel-event' || type === 'connection-moved' || type === 'node-down' || type === 'occupancy-changed') {
    return value as ClusterMessage;
  }
  return undefined;
}

/** Packs any stored value (members, history events) with the same settings. */
export const packValue = (value: unknown): Buffer => packMsgpack(value);
export const unpackValue = <T>(bytes: Buffer): T => unpackMsgpack(bytes) as T;
