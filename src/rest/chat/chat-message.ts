import { type Message, MessageAction } from '../../protocol/index.ts';
import { type ChatReactions, chatReactions } from './reaction-types.ts';

/** The name chat messages carry on the room channel; `@ably/chat` subscribes to this name only. */
export const CHAT_MESSAGE_NAME = 'chat.message';

/** A chat message's headers (`@ably/chat` `Headers`): flat, primitive values only. */
export type ChatHeaders = Record<string, string | number | boolean | null>;

/** What a chat message holds: its text, the sender's metadata (any JSON object) and headers. */
export interface ChatContent {
  text: string;
  metadata: Record<string, unknown>;
  headers: ChatHeaders;
}

/** Who changed a message and why, as the Chat REST API shows it (`@ably/chat` `RestVersion`). */
export interface RestVersion {
  serial: string;
  timestamp: number;
  clientId?: string;
  description?: string;
  metadata?: Record<string, string>;
}

/** A chat message as the Chat REST API v4 answers it (`@ably/chat` `RestMessage`). */
export interface RestMessage extends ChatContent {
  serial: string;
  version: RestVersion;
  clientId: string;
  action: 'message.create' | 'message.update' | 'message.delete';
  /** When the message was created; `version.timestamp` is when this version was made. */
  timestamp: number;
  /** The reactions summary, when the message has any annotations. */
  reactions?: ChatReactions;
}

/**
 * The channel message a chat message is (what `@ably/chat` parses on the room channel): name `chat.message`,
 * data `{text, metadata}` as JSON, `extras.headers`. Operations use the same shape for the content they set.
 */
export function channelMessageOf(content: ChatContent): Message {
  return {
    name: CHAT_MESSAGE_NAME,
    data: JSON.stringify({ text: content.text, metadata: content.metadata }),
    encoding: 'json',
    extras: { headers: content.headers },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The `{text, metadata}` object of a stored chat message's data: JSON, possibly sent as base64 or tagged utf-8 by
 * a pub/sub client publishing on the room channel. Anything else (a deleted message's null data, a plain string)
 * has no chat content.
 */
function chatData(message: Message): Record<string, unknown> {
  let data: unknown = message.data;
  const steps = (message.encoding ?? '').split('/').filter((s) => s !== '');
  try {
    while (steps.length > 0) {
      const step = steps.pop();
      if (step === 'base64' && typeof data === 'string') data = Buffer.from(data, 'base64');
      else if (step === 'utf-8' && Buffer.isBuffer(data)) data = data.toString('utf8');
      else if (step === 'json') data = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
      else return {};
    }
  } catch {
    return {};
  }
  return isObject(data) ? data : {};
}

const ACTIONS: Record<number, RestMessage['action']> = {
  [MessageAction.UPDATE]: 'message.update',
  [MessageAction.DELETE]: 'message.delete',
  // A message appended to (pub/sub) is shown, like in history, as updated with its whole text.
  [MessageAction.APPEND]: 'message.update',
};

/**
 * A stored message (as created, or a later version) in the Chat REST API's shape. A create's version is itself
 * (its serial and timestamp), as the SDK expects of every message; its annotation summary, if any, becomes
 * `reactions`.
 */
export function toRestMessage(message: Message): RestMessage {
  const data = chatData(message);
  const serial = message.serial ?? '';
  const timestamp = message.timestamp ?? 0;
  const headers = message.extras?.headers;
  const { clientId, description, metadata } = message.version ?? {};
  return {
    serial,
    version: {
      serial: message.version?.serial ?? serial,
      timestamp: message.version?.timestamp ?? timestamp,
      ...(clientId !== undefined && { clientId }),
      ...(description !== undefined && { description }),
      ...(metadata !== undefined && { metadata }),
    },
    text: typeof data.text === 'string' ? data.text : '',
    clientId: message.clientId ?? '',
    action: ACTIONS[message.action ?? MessageAction.CREATE] ?? 'message.create',
    metadata: isObject(data.metadata) ? data.metadata : {},
    headers: isObject(headers) ? (headers as ChatHeaders) : {},
    timestamp,
    ...(message.annotations && { reactions: chatReactions(message.annotations.summary) }),
  };
}

/** Whether a stored message is a chat message (other traffic a pub/sub client put on the room channel is not). */
export const isChatMessage = (message: Message): boolean => message.name === CHAT_MESSAGE_NAME;
