import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import { cursorParam, limitParam } from '#shared/pagination/cursor';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { conversationSchema, queryTextSchema } from './schemas';

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
      cursor: z.optional(cursorParam),
      q: z.optional(queryTextSchema),
    }),
    responses: {
      200: {
        description: 'A page of conversations',
        schema: z.object({ items: z.array(conversationSchema), nextCursor: z.nullable(z.string()) }),
      },
    },
  },
  async ({ caller, query }, { listConversations }) => ok(await listConversations(caller, query)),
);
