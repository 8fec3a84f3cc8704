import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';

const usageTotalsSchema = z.object({
  requests: z.int(),
  promptTokens: z.int(),
  completionTokens: z.int(),
  totalTokens: z.int(),
  costUsd: z.number(),
});

export const usageReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  groupBy: z.enum(['user', 'day']),
  items: z.array(
    z.extend(usageTotalsSchema, {
      key: z.string(),
      email: z.optional(z.string()),
      /** By user: the line of every erased person's usage (key `erased`, no e-mail). */
      erased: z.optional(z.literal(true)),
    }),
  ),
  totals: usageTotalsSchema,
});

export type UsageReport = z.infer<typeof usageReportSchema>;
export type UsageRow = UsageReport['items'][number];
export type GroupBy = UsageReport['groupBy'];

export interface UsageQuery {
  /** `YYYY-MM-DD`, UTC, both days included. */
  readonly from: string;
  readonly to: string;
  readonly groupBy: GroupBy;
}

export function getUsage(api: ApiClient, query: UsageQuery, signal?: AbortSignal): Promise<UsageReport> {
  return api.request('/admin/usage', usageReportSchema, { query: { ...query }, signal });
}
