import type { WireError } from '../errors/index.ts';

/** Message or presence payload: a string, raw bytes, or null. Objects travel as JSON strings with `encoding: "json"`. */
export type Data = string | Buffer | null;

/**
 * Who changed a message, when and why (Ably TM2s): `serial` is the serial of the event that made this version
 * (a create's version serial is its own serial).
 */
export interface MessageVersion {
  serial?: string;
  timestamp?: number;
  clientId?: string;
  description?: string;
  metadata?: Record<string, string>;
}

/** A channel message (Ably TM2). */
export interface Message {
  id?: string;
  name?: string;
  data?: Data;
  encoding?: string;
  clientId?: string;
  connectionId?: string;
  timestamp?: number;
  extras?: Record<string, unknown>;
  serial?: string;
  /** {@link MessageAction}; absent means create. */
  action?: number;
  /** REST only: publish on behalf of the realtime connection holding this key (Ably RSL1m); never sent out. */
  connectionKey?: string;
  version?: MessageVersion;
  /** The latest summary of the message's annotations (on `message.summary` and on read messages; Ably TM2u). */
  annotations?: MessageAnnotations;
}

/** A message's annotations as the server rolls them up: annotation type → that type's summary (Ably TM2u, TM7). */
export interface MessageAnnotations {
  summary: Record<string, unknown>;
}

/** An annotation of a message (Ably TAN1): a reaction, flag, vote... aggregated into the message's summary. */
export interface Annotation {
  id?: string;
  /** {@link AnnotationAction}: 0 create, 1 delete. */
  action?: number;
  /** The annotation's own serial (server-assigned; sorts after the message's). */
  serial?: string;
  /** The serial of the message it annotates. */
  messageSerial?: string;
  /** `namespace:method.version`, e.g. `reaction:distinct.v1`: how it is summarised. */
  type?: string;
  name?: string;
  /** multiple.v1: how much this annotation adds to its client's count (default 1). */
  count?: number;
  data?: Data;
  encoding?: string;
  clientId?: string;
  connectionId?: string;
  timestamp?: number;
  extras?: Record<string, unknown>;
}

/** A presence message (Ably TP3). */
export interface PresenceMessage {
  id?: string;
  action: number;
  clientId?: string;
  connectionId?: string;
  data?: Data;
  encoding?: string;
  timestamp?: number;
  extras?: Record<string, unknown>;
}

/** Fields of connectionDetails in CONNECTED (Ably CD2). */
export interface ConnectionDetails {
  clientId: string | null;
  connectionKey: string;
  maxMessageSize: number;
  maxInboundRate: number;
  maxOutboundRate: number;
  maxFrameSize: number;
  connectionStateTtl: number;
  maxIdleInterval: number;
  serverId: string;
  siteCode: string;
}

/** The Ably ProtocolMessage (TR4), as decoded from and encoded to the wire. */
export interface ProtocolMessage {
  action: number;
  flags?: number;
  id?: string;
  timestamp?: number;
  count?: number;
  error?: WireError;
  connectionId?: string;
  channel?: string;
  channelSerial?: string;
  msgSerial?: number;
  messages?: Message[];
  presence?: PresenceMessage[];
  annotations?: Annotation[];
  auth?: { accessToken: string };
  connectionDetails?: ConnectionDetails;
  params?: Record<string, string>;
  res?: Array<{ serials: Array<string | null> }>;
}
