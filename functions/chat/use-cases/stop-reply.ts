import type { Caller } from '#shared/domain/caller';
import { ReplyNotFoundError } from '#feedback/domain/feedback';
import { ReplyEndedError } from '../domain/message';
import type { MessageRepository } from '../ports/message-repository';

/**
 * Stops the caller's reply being written: the function writing it stops the model at its next
 * save (within a moment) and stores the text so far as the reply. 404 for no such reply of the
 * caller's in the conversation, 409 when it has already ended (nothing to stop).
 */
export const makeStopReply =
  (deps: { messages: MessageRepository }) =>
  async (caller: Caller, conversationId: string, messageId: string): Promise<void> => {
    const outcome = await deps.messages.requestStop({ ownerId: caller.userId, conversationId, messageId });
    if (outcome === undefined) throw new ReplyNotFoundError();
    if (outcome === 'ended') throw new ReplyEndedError();
  };
