import type { MessageAnnotations } from '../../protocol/index.ts';

/** Chat's reaction types (`@ably/chat` `MessageReactionType`), each an annotation type it is summarised by. */
export const REACTION_ANNOTATION_TYPES = {
  unique: 'reaction:unique.v1',
  distinct: 'reaction:distinct.v1',
  multiple: 'reaction:multiple.v1',
} as const;

export type ReactionType = keyof typeof REACTION_ANNOTATION_TYPES;

export const isReactionType = (v: unknown): v is ReactionType =>
  typeof v === 'string' && Object.hasOwn(REACTION_ANNOTATION_TYPES, v);

/**
 * A message's reactions as the Chat REST API shows them (`@ably/chat` `RestChatMessageReactions`): the summary of
 * each reaction annotation type under the Chat type's name, `{}` for a type nobody used. Other annotation types on
 * the room channel are not reactions and are left out.
 */
export interface ChatReactions {
  unique: Record<string, unknown>;
  distinct: Record<string, unknown>;
  multiple: Record<string, unknown>;
}

export function chatReactions(summary: MessageAnnotations['summary'] | undefined): ChatReactions {
  const of = (type: ReactionType) => (summary?.[REACTION_ANNOTATION_TYPES[type]] ?? {}) as Record<string, unknown>;
  return { unique: of('unique'), distinct: of('distinct'), multiple: of('multiple') };
}
