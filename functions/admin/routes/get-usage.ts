import * as z from 'zod';
import { ok } from '#shared/http/responses';
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

export const getUsage = defineRoute(
  {
    id: 'admin.usage.get',
    method: 'GET',
    path: '/api/admin/usage',
    summary: 'Tokens, requests and estimated cost per user or per day (from and to included, UTC)',
    access: OVERSIGHT,
    query: z
      .strictObject({
        /** @default the first of `to`'s month */
        from: dateParam.optional(),
        /** @default today (UTC) */
        to: dateParam.optional(),
        groupBy: z.enum(['user', 'day'], { message: 'must be user or day' }).default('user'),
      })
      .transform((query, ctx) => {
        const to = query.to ?? dateOf(new Date());
        const from = query.from ?? `${to.slice(0, 8)}01`;
        const days = daysBetween(from, to);
        if (days < 0) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
        else if (days + 1 > MAX_REPORT_DAYS)
          ctx.addIssue({ code: 'custom', path: ['to'], message: `spans at most ${MAX_REPORT_DAYS} days` });
        return { from, to, groupBy: query.groupBy };
      }),
    responses: {
      200: {
        description: 'The report, its rows and their totals',
        schema: z.object({
          from: z.iso.date(),
          to: z.iso.date(),
          groupBy: z.enum(['user', 'day']),
          items: z.array(totals.extend({ key: z.string(), email: z.string().optional() })),
          totals,
        }),
      },
    },
  },
  async ({ query }, { getUsage }) => ok(await getUsage(query)),
);
