import type { AuthContext } from '../../shared/http/types';
import type { Page } from '../../shared/pagination/cursor';
import type { Conversation, ListConversationsQuery } from '../domain/conversation';
import type { ConversationRepository } from '../ports/conversation-repository';

export const makeListConversations =
  (deps: { conversations: ConversationRepository }) =>
  (auth: AuthContext, query: ListConversationsQuery): Promise<Page<Conversation>> =>
    deps.conversations.list(auth.userId, query);
