import { CHAT_ROLES } from '#shared/domain/roles';
import { noContent } from '#shared/http/responses';
import { defineRoute } from './define';
import { conversationIdParams } from './schemas';

export const deleteConversation = defineRoute(
  {
    id: 'conversations.delete',
    method: 'DELETE',
    path: '/api/conversations/{id}',
    summary: 'Delete a conversation (audited)',
    access: CHAT_ROLES,
    scopes: ['parley/chat.write'],
    params: conversationIdParams,
    responses: {
      204: {
        description:
          'Deleted: gone from every list at once; its messages are erased for good by the daily retention run after the deployment’s grace days (30 by default)',
      },
    },
    problems: { 404: 'No such conversation, or not yours' },
  },
  async ({ caller, params, requestId }, { deleteConversation }) => {
    await deleteConversation(caller, params.id, requestId);
    return noContent();
  },
);
