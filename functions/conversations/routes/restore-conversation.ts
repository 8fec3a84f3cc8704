import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import { defineRoute } from './define';
import { conversationIdParams, conversationSchema } from './schemas';

export const restoreConversation = defineRoute(
  {
    id: 'conversations.restore',
    method: 'POST',
    path: '/api/conversations/{id}/restore',
    summary: 'Undo the delete of a conversation the retention run has not erased yet (audited)',
    access: CHAT_ROLES,
    scopes: ['parley/chat.write'],
    params: conversationIdParams,
    responses: { 200: { description: 'The conversation, back in the list', schema: conversationSchema } },
    problems: {
      404: 'No deleted conversation of yours by this id (never deleted, not yours, or erased)',
      409: 'conversation-limit: you have as many live conversations as you may keep (CONVERSATIONS_MAX_PER_PERSON, 10,000 by default); delete some first',
    },
  },
  async ({ caller, params, requestId }, { restoreConversation }) =>
    ok(await restoreConversation(caller, params.id, requestId)),
);
