import type { Caller } from '#shared/domain/caller';
import { DEFAULT_TITLE, type Conversation } from '../domain/conversation';
import type { ConversationRepository } from '../ports/conversation-repository';

export const makeCreateConversation =
  (deps: { conversations: ConversationRepository }) =>
  (caller: Caller, input: { title?: string }): Promise<Conversation> =>
    deps.conversations.create(caller.userId, input.title ?? DEFAULT_TITLE);
