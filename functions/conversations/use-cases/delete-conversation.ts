import type { AuditEvent } from '../../shared/audit/record-audit';
import type { AuthContext } from '../../shared/http/types';
import { ConversationNotFoundError } from '../domain/conversation';
import type { ConversationRepository } from '../ports/conversation-repository';

export const makeDeleteConversation =
  (deps: { conversations: ConversationRepository; audit: (event: AuditEvent) => Promise<void> }) =>
  async (auth: AuthContext, id: string, requestId: string): Promise<void> => {
    if (!(await deps.conversations.remove(auth.userId, id))) throw new ConversationNotFoundError();
    await deps.audit({
      actorId: auth.userId,
      action: 'conversation.delete',
      targetType: 'conversation',
      targetId: id,
      requestId,
    });
  };
