import { ConversationNotFoundError } from '#conversations/domain/conversation';
import type { Caller } from '#shared/domain/caller';
import type { Keyset, Page } from '#shared/pagination/cursor';
import type { ListedMessage } from '../domain/message';
import type { MessageRepository } from '../ports/message-repository';

export const makeListMessages =
  (deps: { messages: MessageRepository }) =>
  async (
    caller: Caller,
    conversationId: string,
    options: { limit: number; cursor?: Keyset },
  ): Promise<Page<ListedMessage>> => {
    const page = await deps.messages.list(caller.userId, conversationId, options);
    if (!page) throw new ConversationNotFoundError();
    return page;
  };
