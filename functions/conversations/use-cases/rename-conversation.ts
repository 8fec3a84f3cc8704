import type { Caller } from '#shared/domain/caller';
import { ConversationNotFoundError, type Conversation } from '../domain/conversation';
import type { ConversationRepository } from '../ports/conversation-repository';

export const makeRenameConversation =
  (deps: { conversations: ConversationRepository }) =>
  async (caller: Caller, id: string, title: string): Promise<Conversation> => {
    const conversation = await deps.conversations.rename(caller.userId, id, title);
    if (!conversation) throw new ConversationNotFoundError();
    return conversation;
  };
