import { ok } from '#shared/http/responses';
import * as z from '#shared/zod';
import { dateOf, daysBetween, MAX_REPORT_DAYS } from '../domain/dates';
import { defineRoute } from './define';
import { dateParam, OVERSIGHT } from './schemas';

const totals = z.object({
  requests: z.int(),
  promptTokens: z.int(),
  completionTokens: z.int(),
  totalTokens: z.int(),
  costUsd: z.number(),
});

const usageQuery = z.strictObject({
  /** @default the first of `to`'s month */
  from: z.optional(dateParam),
  /** @default today (UTC) */
  to: z.optional(dateParam),
  groupBy: z._default(z.enum(['user', 'day'], { message: 'must be user or day' }), 'user'),
});

export const getUsage = defineRoute(
  {
    id: 'admin.usage.get',
    method: 'GET',
    path: '/api/admin/usage',
    summary: 'Tokens, requests and estimated cost per user or per day (from and to included, UTC)',
    access: OVERSIGHT,
    query: z.pipe(
      usageQuery,
      z.transform((query: z.output<typeof usageQuery>, ctx) => {
        const to = query.to ?? dateOf(new Date());
        const from = query.from ?? `${to.slice(0, 8)}01`;
        const days = daysBetween(from, to);
        if (days < 0)
          ctx.issues.push({ code: 'custom', path: ['from'], message: 'must not be after to', input: query });
        else if (days + 1 > MAX_REPORT_DAYS)
          ctx.issues.push({
            code: 'custom',
            path: ['to'],
            message: `spans at most ${MAX_REPORT_DAYS} days`,
            input: query,
          });
        return { from, to, groupBy: query.groupBy };
      }),
    ),
    responses: {
      200: {
        description: 'The report, its rows and their totals',
        schema: z.object({
          from: z.iso.date(),
          to: z.iso.date(),
          groupBy: z.enum(['user', 'day']),
          // By user, erased people's usage (kept without them) is one line: key 'erased', erased true.
          items: z.array(
            z.extend(totals, {
              key: z.string(),
              email: z.optional(z.string()),
              erased: z.optional(z.literal(true)),
            }),
          ),
          totals,
        }),
      },
    },
  },
  async ({ query }, { getUsage }) => ok(await getUsage(query)),
);
