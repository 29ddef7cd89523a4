import type { Operation } from '../../auth/capability.ts';
import { type ChannelRequest, channelRequest, type RestRequest } from '../context.ts';

/** Suffix of the channel a Chat room lives on (`@ably/chat`: `{room}::$chat`). */
export const ROOM_CHANNEL_SUFFIX = '::$chat';

/**
 * The room's channel from the room path segment, still percent-encoded as the SDK sends it, so the channel checks
 * of `channelRequest` (decoding, name rules, capability) apply to it unchanged.
 */
export const rawRoomChannel = (rawRoom: string): string => `${rawRoom}${encodeURIComponent(ROOM_CHANNEL_SUFFIX)}`;

/**
 * A request on a room, authorised like one on its channel: Ably grants Chat operations through the capability of
 * `{room}::$chat` (publish to send, history to read, message-update/delete-own/any to change messages).
 */
export const roomRequest = (r: RestRequest, rawRoom: string, op: Operation | Operation[]): Promise<ChannelRequest> =>
  channelRequest(r, rawRoomChannel(rawRoom), op);
