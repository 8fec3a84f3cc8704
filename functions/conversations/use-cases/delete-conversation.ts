import type { Caller } from '#shared/domain/caller';
import { ConversationNotFoundError } from '../domain/conversation';
import type { ConversationTransaction } from '../ports/conversation-repository';

/** Soft-deletes the caller's conversation and audits it: both commit, or neither does. */
export const makeDeleteConversation =
  (deps: { transaction: ConversationTransaction }) =>
  (caller: Caller, id: string, requestId: string): Promise<void> =>
    deps.transaction(async ({ conversations, audit }) => {
      if (!(await conversations.remove(caller.userId, id))) throw new ConversationNotFoundError();
      await audit.record({
        actorId: caller.userId,
        action: 'conversation.delete',
        targetType: 'conversation',
        targetId: id,
        requestId,
      });
    });
