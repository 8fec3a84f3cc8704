import type { Caller } from '#shared/domain/caller';
import type { Page } from '#shared/pagination/cursor';
import type { Conversation } from '../domain/conversation';
import type { ConversationRepository, ListOptions } from '../ports/conversation-repository';

export const makeListConversations =
  (deps: { conversations: ConversationRepository }) =>
  (caller: Caller, options: ListOptions): Promise<Page<Conversation>> =>
    deps.conversations.list(caller.userId, options);
