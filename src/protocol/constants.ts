/** ProtocolMessage actions (Ably TR2). */
export const Action = {
  HEARTBEAT: 0,
  ACK: 1,
  NACK: 2,
  CONNECT: 3,
  CONNECTED: 4,
  DISCONNECT: 5,
  DISCONNECTED: 6,
  CLOSE: 7,
  CLOSED: 8,
  ERROR: 9,
  ATTACH: 10,
  ATTACHED: 11,
  DETACH: 12,
  DETACHED: 13,
  PRESENCE: 14,
  MESSAGE: 15,
  SYNC: 16,
  AUTH: 17,
  ACTIVATE: 18,
  OBJECT: 19,
  OBJECT_SYNC: 20,
  ANNOTATION: 21,
} as const;

/** ProtocolMessage flags (Ably TR3): channel state bits, then channel modes from bit 16. */
export const Flag = {
  HAS_PRESENCE: 1 << 0,
  HAS_BACKLOG: 1 << 1,
  RESUMED: 1 << 2,
  /** On ATTACH: the client is re-attaching a channel it had attached, so `rewind` must not replay again (RTL4j). */
  ATTACH_RESUME: 1 << 5,
  PRESENCE: 1 << 16,
  PUBLISH: 1 << 17,
  SUBSCRIBE: 1 << 18,
  PRESENCE_SUBSCRIBE: 1 << 19,
  /** May publish annotations (src/messages/annotation-service.ts). */
  ANNOTATION_PUBLISH: 1 << 21,
  /** Receives raw ANNOTATION events; without it a client gets only the `message.summary` messages. */
  ANNOTATION_SUBSCRIBE: 1 << 22,
} as const;

/**
 * The modes granted when a client requests none: the classic four plus ANNOTATION_PUBLISH, as Ably grants them
 * (ably-js `attachWithInvalidChannelParams` expects exactly these). Raw annotations must be asked for.
 */
export const DEFAULT_MODES = Flag.PRESENCE | Flag.PUBLISH | Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE | Flag.ANNOTATION_PUBLISH;

/** Every mode bit the SDK knows about (bits 16-25); modes outside the classic four are accepted but unused. */
export const MODE_MASK = 0x3ff0000;

/** Message actions (Ably TM5): what a MESSAGE item does to the message its `serial` names. */
export const MessageAction = {
  CREATE: 0,
  UPDATE: 1,
  DELETE: 2,
  META: 3,
  SUMMARY: 4,
  APPEND: 5,
} as const;

/** Annotation actions (Ably TAN2b): the wire numbers of `annotation.create` and `annotation.delete`. */
export const AnnotationAction = {
  CREATE: 0,
  DELETE: 1,
} as const;

/** PresenceMessage actions (Ably TP2). */
export const PresenceAction = {
  ABSENT: 0,
  PRESENT: 1,
  ENTER: 2,
  LEAVE: 3,
  UPDATE: 4,
} as const;

export type PresenceActionCode = (typeof PresenceAction)[keyof typeof PresenceAction];
