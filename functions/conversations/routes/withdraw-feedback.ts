import { CHAT_ROLES } from '#shared/domain/roles';
import { noContent } from '#shared/http/responses';
import { defineRoute } from './define';
import { replyParams } from './schemas';

export const withdrawFeedback = defineRoute(
  {
    id: 'messages.feedback.withdraw',
    method: 'DELETE',
    path: '/api/conversations/{id}/messages/{messageId}/feedback',
    summary: 'Take back your feedback on a reply (204 also when there was none)',
    access: CHAT_ROLES,
    scopes: ['parley/chat.write'],
    params: replyParams,
    responses: { 204: { description: 'No feedback on the reply any more' } },
    problems: { 404: 'No reply of yours by this id in this conversation' },
  },
  async ({ caller, params }, { withdrawFeedback }) => {
    await withdrawFeedback(caller, params.id, params.messageId);
    return noContent();
  },
);
