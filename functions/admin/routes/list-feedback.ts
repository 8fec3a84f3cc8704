import { RATINGS, REASONS } from '#feedback/domain/feedback';
import { feedbackEntrySchema } from '#feedback/domain/schemas';
import { ok } from '#shared/http/responses';
import { cursorParam, limitParam } from '#shared/pagination/cursor';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { dateParam, daysInOrder, filterText, OVERSIGHT } from './schemas';

export const listFeedback = defineRoute(
  {
    id: 'admin.feedback.list',
    method: 'GET',
    path: '/api/admin/feedback',
    summary:
      "People's feedback on replies, newest first, with the count of each rating over the filters: who, which model, when, the reason and comment; never the reply or the conversation",
    access: OVERSIGHT,
    query: z
      .strictObject({
        rating: z.optional(z.enum(RATINGS, { message: `must be one of ${RATINGS.join(', ')}` })),
        reason: z.optional(z.enum(REASONS, { message: `must be one of ${REASONS.join(', ')}` })),
        model: z.optional(filterText(64)),
        from: z.optional(dateParam),
        to: z.optional(dateParam),
        limit: limitParam(50, 200),
        cursor: z.optional(cursorParam),
      })
      .check(daysInOrder),
    responses: {
      200: {
        description: 'A page of feedback, and the totals of each rating',
        schema: z.object({
          items: z.array(feedbackEntrySchema),
          nextCursor: z.nullable(z.string()),
          totals: z.object({ up: z.int(), down: z.int() }),
        }),
      },
    },
  },
  async ({ query }, { listFeedback }) => ok(await listFeedback(query)),
);
