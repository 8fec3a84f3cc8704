import * as z from 'zod';
import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import { cursorParam, limitParam } from '#shared/pagination/cursor';
import { defineRoute } from './define';
import { conversationSchema } from './schemas';

export const listConversations = defineRoute(
  {
    id: 'conversations.list',
    method: 'GET',
    path: '/api/conversations',
    summary: "The caller's conversations, newest first (keyset pagination)",
    access: CHAT_ROLES,
    scopes: ['parley/chat.read'],
    query: z.strictObject({
      limit: limitParam(20, 100),
      cursor: cursorParam.optional(),
      q: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
    }),
    responses: {
      200: {
        description: 'A page of conversations',
        schema: z.object({ items: z.array(conversationSchema), nextCursor: z.string().nullable() }),
      },
    },
  },
  async ({ caller, query }, { listConversations }) => ok(await listConversations(caller, query)),
);
