import type { Caller } from '#shared/domain/caller';
import { DEFAULT_TITLE, type Conversation } from '../domain/conversation';
import type { ConversationRepository } from '../ports/conversation-repository';

/**
 * Starts a conversation; ConversationLimitError when the caller already has `maxLive` live ones
 * (CONVERSATIONS_MAX_PER_PERSON), which keeps one person from filling the database with them.
 */
export const makeCreateConversation =
  (deps: { conversations: ConversationRepository; maxLive?: number }) =>
  (caller: Caller, input: { title?: string }): Promise<Conversation> =>
    deps.conversations.create(caller.userId, input.title ?? DEFAULT_TITLE, { maxLive: deps.maxLive });
