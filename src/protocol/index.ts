export { type Codec, codecFor, type Format, fromJsonItems, jsonCodec, msgpackCodec, toJsonData } from './codec.ts';
export {
  Action,
  AnnotationAction,
  DEFAULT_MODES,
  Flag,
  MessageAction,
  MODE_MASK,
  PresenceAction,
  type PresenceActionCode,
} from './constants.ts';
export { encodeOnce } from './frame-cache.ts';
export { packMsgpack, unpackMsgpack } from './msgpack.ts';
export { messageSize } from './size.ts';
export type {
  Annotation,
  ConnectionDetails,
  Data,
  Message,
  MessageAnnotations,
  MessageVersion,
  PresenceMessage,
  ProtocolMessage,
} from './types.ts';
export { MAX_ITEMS_PER_MESSAGE, toAnnotations, toProtocolMessage } from './validate.ts';
