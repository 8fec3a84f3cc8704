import type { Caller } from '#shared/domain/caller';
import { MessageNotFoundError, type ListedMessage } from '../domain/message';
import type { MessageRepository } from '../ports/message-repository';

/**
 * One message of the caller's conversation, as the list shows it: what a view following a reply
 * written elsewhere (another tab, a reload) reads until the reply has ended, instead of the whole
 * conversation each time.
 */
export const makeGetMessage =
  (deps: { messages: Pick<MessageRepository, 'get'> }) =>
  async (caller: Caller, conversationId: string, messageId: string): Promise<ListedMessage> => {
    const message = await deps.messages.get(caller.userId, conversationId, messageId);
    if (!message) throw new MessageNotFoundError();
    return message;
  };
