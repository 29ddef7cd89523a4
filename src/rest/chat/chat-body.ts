import { ErrorInfo } from '../../errors/index.ts';
import type { MessageVersion } from '../../protocol/index.ts';
import type { ChatContent, ChatHeaders } from './chat-message.ts';

/**
 * The bodies of the Chat REST API's message requests (`@ably/chat` `ChatApi`), checked field by field: a body that
 * is not an object is 40001, a field of the wrong type 40003. Nothing unchecked reaches the channel.
 */

/** Why a message was updated or deleted, recorded in its new version. */
export type OperationDetails = Pick<MessageVersion, 'description' | 'metadata'>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function objectBody(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw ErrorInfo.of('invalidRequestBody', 'the body must be a JSON object');
  return body;
}

function headersOf(raw: unknown): ChatHeaders {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw ErrorInfo.of('invalidParameter', 'headers must be an object');
  for (const [name, value] of Object.entries(raw)) {
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw ErrorInfo.of('invalidParameter', `header ${name.slice(0, 64)} must be a string, number, boolean or null`);
    }
  }
  return raw as ChatHeaders;
}

/** `{text, metadata?, headers?}`: a message's content; what is left out is empty (Chat replaces it whole). */
function contentOf(raw: unknown, what: string): ChatContent {
  const body = isObject(raw) ? raw : undefined;
  if (!body) throw ErrorInfo.of('invalidParameter', `${what} must be an object`);
  if (typeof body.text !== 'string') throw ErrorInfo.of('invalidParameter', `${what}.text must be a string`);
  if (body.metadata !== undefined && !isObject(body.metadata)) {
    throw ErrorInfo.of('invalidParameter', `${what}.metadata must be an object`);
  }
  return { text: body.text, metadata: (body.metadata as Record<string, unknown>) ?? {}, headers: headersOf(body.headers) };
}

/** `{description?, metadata?}` of an update or delete: why, recorded in the new version. */
function detailsOf(body: Record<string, unknown>): OperationDetails {
  const { description, metadata } = body;
  if (description !== undefined && typeof description !== 'string') {
    throw ErrorInfo.of('invalidParameter', 'description must be a string');
  }
  if (metadata !== undefined && !(isObject(metadata) && Object.values(metadata).every((v) => typeof v === 'string'))) {
    throw ErrorInfo.of('invalidParameter', 'metadata must be an object of strings');
  }
  return { description, metadata: metadata as Record<string, string> | undefined };
}

/** POST …/messages: `{text, metadata?, headers?}`. */
export const parseSendBody = (body: unknown): ChatContent => contentOf(objectBody(body), 'the message');

/** PUT …/messages/{serial}: `{message: {text, metadata?, headers?}, description?, metadata?}`. */
export function parseUpdateBody(body: unknown): { content: ChatContent; details: OperationDetails } {
  const b = objectBody(body);
  return { content: contentOf(b.message, 'message'), details: detailsOf(b) };
}

/** POST …/messages/{serial}/delete: `{description?, metadata?}`; no body at all means no details. */
export const parseDeleteBody = (body: unknown): OperationDetails => (body === undefined ? {} : detailsOf(objectBody(body)));
