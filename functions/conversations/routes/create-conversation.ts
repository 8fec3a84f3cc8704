import { CHAT_ROLES } from '#shared/domain/roles';
import { created } from '#shared/http/responses';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { conversationSchema, titleSchema } from './schemas';

export const createConversation = defineRoute(
  {
    id: 'conversations.create',
    method: 'POST',
    path: '/api/conversations',
    summary: 'Start a conversation',
    access: CHAT_ROLES,
    scopes: ['parley/chat.write'],
    // The body is optional: `POST /conversations` with none starts an untitled conversation.
    body: z._default(z.strictObject({ title: z.optional(titleSchema) }), {}),
    responses: { 201: { description: 'The new conversation', schema: conversationSchema } },
    problems: {
      404: 'No profile yet (it is written on your first GET /api/me)',
      409: 'conversation-limit: you have as many live conversations as you may keep (CONVERSATIONS_MAX_PER_PERSON, 10,000 by default); delete some first',
    },
  },
  async ({ caller, body }, { createConversation }) => created(await createConversation(caller, body)),
);
