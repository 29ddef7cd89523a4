import { ErrorInfo } from '../../errors/index.ts';
import type { MessageVersion } from '../../protocol/index.ts';
import type { ChatContent, ChatHeaders } from './chat-message.ts';
import { isReactionType, type ReactionType } from './reaction-types.ts';

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

/** A reaction to send or delete: its Chat type, the reaction's name (the emoji) and, for `multiple`, a count. */
export interface ReactionParams {
  type: ReactionType;
  name?: string;
  count?: number;
}

function reactionType(raw: unknown): ReactionType {
  if (!isReactionType(raw)) throw ErrorInfo.of('invalidParameter', 'type must be unique, distinct or multiple');
  return raw;
}

function reactionName(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') throw ErrorInfo.of('invalidParameter', 'name must be a non-empty string');
  return raw;
}

/** POST …/messages/{serial}/reactions: `{type, name, count?}`; a count only for `multiple`, a positive integer. */
export function parseReactionBody(body: unknown): ReactionParams {
  const b = objectBody(body);
  const type = reactionType(b.type);
  const name = reactionName(b.name);
  if (b.count === undefined) return { type, name };
  if (type !== 'multiple') throw ErrorInfo.of('invalidParameter', `a count is only for reactions of type multiple`);
  if (typeof b.count !== 'number' || !Number.isSafeInteger(b.count) || b.count < 1) {
    throw ErrorInfo.of('invalidParameter', 'count must be a positive integer');
  }
  return { type, name, count: b.count };
}

/** DELETE …/messages/{serial}/reactions?type=&name=: the name may be left out for `unique` (one per client). */
export function parseReactionQuery(query: URLSearchParams): ReactionParams {
  const type = reactionType(query.get('type'));
  const name = query.get('name');
  if (name === null && type === 'unique') return { type };
  return { type, name: reactionName(name) };
}
