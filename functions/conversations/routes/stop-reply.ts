import { CHAT_ROLES } from '#shared/domain/roles';
import { defineRoute } from './define';
import { replyParams } from './schemas';

export const stopReply = defineRoute(
  {
    id: 'messages.stop',
    method: 'POST',
    path: '/api/conversations/{id}/messages/{messageId}/stop',
    summary:
      'Stop a reply being written (Stop in the web app): the model is stopped within a moment and the text written so far is kept as the reply, which ends complete',
    access: CHAT_ROLES,
    scopes: ['parley/chat.write'],
    params: replyParams,
    responses: {
      202: {
        description: 'Asked: the reply ends shortly; read the messages to see it (also when asked before)',
      },
    },
    problems: {
      404: 'No reply of yours by this id in this conversation',
      409: 'The reply has already ended',
    },
  },
  async ({ caller, params }, { stopReply }) => {
    await stopReply(caller, params.id, params.messageId);
    return { statusCode: 202, headers: {}, body: '' };
  },
);
