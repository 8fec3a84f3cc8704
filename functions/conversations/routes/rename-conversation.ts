import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { conversationIdParams, conversationSchema, titleSchema } from './schemas';

export const renameConversation = defineRoute(
  {
    id: 'conversations.rename',
    method: 'PATCH',
    path: '/api/conversations/{id}',
    summary: 'Rename a conversation',
    access: CHAT_ROLES,
    scopes: ['parley/chat.write'],
    params: conversationIdParams,
    body: z.strictObject({ title: titleSchema }),
    responses: { 200: { description: 'The renamed conversation', schema: conversationSchema } },
    problems: { 404: 'No such conversation, or not yours' },
  },
  async ({ caller, params, body }, { renameConversation }) =>
    ok(await renameConversation(caller, params.id, body.title)),
);
