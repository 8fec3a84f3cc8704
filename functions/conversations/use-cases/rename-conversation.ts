import type { AuthContext } from '../../shared/http/types';
import { ConversationNotFoundError, type Conversation } from '../domain/conversation';
import type { ConversationRepository } from '../ports/conversation-repository';

export const makeRenameConversation =
  (deps: { conversations: ConversationRepository }) =>
  async (auth: AuthContext, id: string, title: string): Promise<Conversation> => {
    const conversation = await deps.conversations.rename(auth.userId, id, title);
    if (!conversation) throw new ConversationNotFoundError();
    return conversation;
  };
