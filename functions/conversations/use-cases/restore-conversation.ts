import type { Caller } from '#shared/domain/caller';
import { ConversationNotFoundError, type Conversation } from '../domain/conversation';
import type { ConversationTransaction } from '../ports/conversation-repository';

/**
 * Brings back the caller's deleted conversation, as long as the retention run has not erased it
 * (CONVERSATION_PURGE_DAYS), and audits it: both commit, or neither does. Past the caller's
 * `maxLive` live conversations (CONVERSATIONS_MAX_PER_PERSON), ConversationLimitError: it stays deleted.
 */
export const makeRestoreConversation =
  (deps: { transaction: ConversationTransaction; maxLive?: number }) =>
  (caller: Caller, id: string, requestId: string): Promise<Conversation> =>
    deps.transaction(async ({ conversations, audit }) => {
      const restored = await conversations.restore(caller.userId, id, { maxLive: deps.maxLive });
      if (!restored) throw new ConversationNotFoundError();
      await audit.record({
        actorId: caller.userId,
        action: 'conversation.restore',
        targetType: 'conversation',
        targetId: id,
        requestId,
      });
      return restored;
    });
