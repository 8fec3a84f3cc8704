import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import { limitParam } from '#shared/pagination/cursor';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { queryTextSchema } from './schemas';

/**
 * A rank as the search gives it: 0, or a positive number PostgreSQL's `real` holds (the cursor's
 * rank is compared as one; a value beyond its range is "out of range for type real", a 500).
 */
const isRealRank = (rank: number) => rank === 0 || (rank >= 1.1754944e-38 && rank <= 3.4028234e38);

const searchKeyset = z.object({ rank: z.number().check(z.refine(isRealRank)), id: z.uuid() });

/** The cursor of a search page: the rank and id of its last hit. */
const searchCursor = z.pipe(
  z.string().check(z.maxLength(512)),
  z.transform((value: string, ctx) => {
    try {
      const parsed = z.safeParse(searchKeyset, JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // not base64url JSON: refused below
    }
    ctx.issues.push({ code: 'custom', message: 'is not a cursor this API returned', input: value });
    return z.NEVER;
  }),
);

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
    summary:
      "Full-text search over the caller's own messages, best first (Chinese, Japanese or Korean: by substring, newest first), with highlighted snippets",
    access: CHAT_ROLES,
    scopes: ['parley/chat.read'],
    query: z.strictObject({
      q: queryTextSchema,
      limit: limitParam(20, 50),
      cursor: z.optional(searchCursor),
    }),
    responses: {
      200: {
        description: 'A page of hits',
        schema: z.object({ items: z.array(hit), nextCursor: z.nullable(z.string()) }),
      },
    },
  },
  async ({ caller, query }, { searchMessages }) => ok(await searchMessages(caller, query)),
);
