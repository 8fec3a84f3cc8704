import * as z from 'zod';
import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import { limitParam } from '#shared/pagination/cursor';
import { defineRoute } from './define';

const searchKeyset = z.object({ rank: z.number().finite().nonnegative(), id: z.uuid() });

/** The cursor of a search page: the rank and id of its last hit. */
const searchCursor = z
  .string()
  .max(512)
  .transform((value, ctx) => {
    try {
      const parsed = searchKeyset.safeParse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // not base64url JSON: refused below
    }
    ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
    return z.NEVER;
  });

const hit = z.object({
  conversationId: z.uuid(),
  conversationTitle: z.string(),
  messageId: z.uuid(),
  role: z.enum(['user', 'assistant']),
  snippet: z.array(z.object({ text: z.string(), match: z.boolean() })),
  rank: z.number(),
  createdAt: z.iso.datetime(),
});

export const searchMessages = defineRoute(
  {
    id: 'messages.search',
    method: 'GET',
    path: '/api/search',
    summary: "Full-text search over the caller's own messages, best first, with highlighted snippets",
    access: CHAT_ROLES,
    scopes: ['parley/chat.read'],
    query: z.strictObject({
      q: z
        .string({ message: 'is required' })
        .trim()
        .min(1, 'must not be empty')
        .max(200, 'must be at most 200 characters')
        // eslint-disable-next-line no-control-regex
        .refine((q) => !/[\u0000-\u001f\u007f]/.test(q), 'must not contain control characters'),
      limit: limitParam(20, 50),
      cursor: searchCursor.optional(),
    }),
    responses: {
      200: {
        description: 'A page of hits',
        schema: z.object({ items: z.array(hit), nextCursor: z.string().nullable() }),
      },
    },
  },
  async ({ caller, query }, { searchMessages }) => ok(await searchMessages(caller, query)),
);
