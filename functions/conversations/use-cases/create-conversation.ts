import type { AuthContext } from '../../shared/http/types';
import { DEFAULT_TITLE, type Conversation } from '../domain/conversation';
import type { ConversationRepository } from '../ports/conversation-repository';

export const makeCreateConversation =
  (deps: { conversations: ConversationRepository }) =>
  (auth: AuthContext, input: { title?: string }): Promise<Conversation> =>
    deps.conversations.create(auth.userId, input.title ?? DEFAULT_TITLE);
