import { COMMENT_MAX, RATINGS, REASONS } from '#feedback/domain/feedback';
import { feedbackSchema } from '#feedback/domain/schemas';
import { CHAT_ROLES } from '#shared/domain/roles';
import { writtenText } from '#shared/http/written-text';
import { ok } from '#shared/http/responses';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { replyParams } from './schemas';

const body = z
  .strictObject({
    rating: z.enum(RATINGS, { message: `must be one of ${RATINGS.join(', ')}` }),
    reason: z.optional(z.enum(REASONS, { message: `must be one of ${REASONS.join(', ')}` })),
    comment: z.optional(
      writtenText(COMMENT_MAX, {
        expected: 'expected a string',
        empty: 'must not be empty (leave it out instead)',
      }),
    ),
  })
  .check(
    z.superRefine((input, ctx) => {
      if (input.reason && input.rating !== 'down')
        ctx.addIssue({
          code: 'custom',
          path: ['reason'],
          message: 'only explains a thumbs down (rating "down")',
        });
    }),
  );

export const giveFeedback = defineRoute(
  {
    id: 'messages.feedback.give',
    method: 'PUT',
    path: '/api/conversations/{id}/messages/{messageId}/feedback',
    summary:
      "Rate one of your finished replies (thumbs up or down, an optional reason and comment); replaces what you said of it before. Admins and auditors see it, with the reply's model but never its text",
    access: CHAT_ROLES,
    scopes: ['parley/chat.write'],
    params: replyParams,
    body,
    responses: { 200: { description: 'The feedback as kept', schema: feedbackSchema } },
    problems: {
      404: 'No reply of yours by this id in this conversation (a user message, another owner’s, or a deleted conversation)',
      409: 'The reply is still being written, or failed',
    },
  },
  async ({ caller, params, body }, { giveFeedback }) =>
    ok(await giveFeedback(caller, params.id, params.messageId, body)),
);
