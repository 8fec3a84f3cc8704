import type { AuthContext } from '../../shared/http/types';
import { ConversationNotFoundError, type Conversation } from '../domain/conversation';
import type { ConversationRepository } from '../ports/conversation-repository';

export const makeGetConversation =
  (deps: { conversations: ConversationRepository }) =>
  async (auth: AuthContext, id: string): Promise<Conversation> => {
    const conversation = await deps.conversations.get(auth.userId, id);
    if (!conversation) throw new ConversationNotFoundError();
    return conversation;
  };
