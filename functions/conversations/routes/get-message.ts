import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import { defineRoute } from './define';
import { listedMessageSchema } from './list-messages';
import { replyParams } from './schemas';

export const getMessage = defineRoute(
  {
    id: 'messages.get',
    method: 'GET',
    path: '/api/conversations/{id}/messages/{messageId}',
    summary:
      'One message, as the list shows it: what to read while following a reply being written elsewhere, until its status is no longer streaming',
    access: CHAT_ROLES,
    scopes: ['parley/chat.read'],
    params: replyParams,
    responses: { 200: { description: 'The message', schema: listedMessageSchema } },
    problems: { 404: 'No message of yours by this id in this conversation' },
  },
  async ({ caller, params }, { getMessage }) => ok(await getMessage(caller, params.id, params.messageId)),
);
