import { messageSchema } from '#chat/routes/schemas';
import { replyFeedbackSchema } from '#feedback/domain/schemas';
import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import { cursorParam, limitParam } from '#shared/pagination/cursor';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { conversationIdParams } from './schemas';

/** A listed message: a reply carries what its author said of it (null: nothing, or a user message). */
export const listedMessageSchema = z.extend(messageSchema, { feedback: z.nullable(replyFeedbackSchema) });

export const listMessages = defineRoute(
  {
    id: 'messages.list',
    method: 'GET',
    path: '/api/conversations/{id}/messages',
    summary:
      "A conversation's messages, oldest first (keyset pagination); replies carry your feedback on them",
    access: CHAT_ROLES,
    scopes: ['parley/chat.read'],
    params: conversationIdParams,
    query: z.strictObject({ limit: limitParam(50, 200), cursor: z.optional(cursorParam) }),
    responses: {
      200: {
        description: 'A page of messages',
        schema: z.object({ items: z.array(listedMessageSchema), nextCursor: z.nullable(z.string()) }),
      },
    },
    problems: { 404: 'No such conversation, or not yours' },
  },
  async ({ caller, params, query }, { listMessages }) => ok(await listMessages(caller, params.id, query)),
);
