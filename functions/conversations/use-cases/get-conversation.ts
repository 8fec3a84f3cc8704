import type { Caller } from '#shared/domain/caller';
import { ConversationNotFoundError, type Conversation } from '../domain/conversation';
import type { ConversationRepository } from '../ports/conversation-repository';

export const makeGetConversation =
  (deps: { conversations: ConversationRepository }) =>
  async (caller: Caller, id: string): Promise<Conversation> => {
    const conversation = await deps.conversations.get(caller.userId, id);
    if (!conversation) throw new ConversationNotFoundError();
    return conversation;
  };
