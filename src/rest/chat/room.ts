/** Suffix of the channel a Chat room lives on (`@ably/chat`: `{room}::$chat`). */
export const ROOM_CHANNEL_SUFFIX = '::$chat';

/**
 * The room's channel from the room path segment, still percent-encoded as the SDK sends it, so the channel checks
 * of `channelRequest` (decoding, name rules, capability) apply to it unchanged.
 */
export const rawRoomChannel = (rawRoom: string): string => `${rawRoom}${encodeURIComponent(ROOM_CHANNEL_SUFFIX)}`;
