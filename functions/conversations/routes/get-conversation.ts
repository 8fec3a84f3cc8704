import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import { defineRoute } from './define';
import { conversationIdParams, conversationSchema } from './schemas';

export const getConversation = defineRoute(
  {
    id: 'conversations.get',
    method: 'GET',
    path: '/api/conversations/{id}',
    summary: 'One conversation',
    access: CHAT_ROLES,
    scopes: ['parley/chat.read'],
    params: conversationIdParams,
    responses: { 200: { description: 'The conversation', schema: conversationSchema } },
    problems: { 404: 'No such conversation, or not yours' },
  },
  async ({ caller, params }, { getConversation }) => ok(await getConversation(caller, params.id)),
);
