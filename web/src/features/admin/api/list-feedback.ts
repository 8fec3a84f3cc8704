import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';
import { allPages } from '@/features/admin/api/all-pages';

export const FEEDBACK_RATINGS = ['up', 'down'] as const;
export type FeedbackRating = (typeof FEEDBACK_RATINGS)[number];

/** Why a reply was rated down, as the API names it (the words are in labels.ts). */
export const FEEDBACK_REASONS = ['inaccurate', 'unhelpful', 'incomplete', 'harmful', 'other'] as const;
export type FeedbackReason = (typeof FEEDBACK_REASONS)[number];

/** One person's feedback on one reply: who, which model, when, what they said; never the reply. */
export const feedbackEntrySchema = z.object({
  messageId: z.string(),
  rating: z.enum(FEEDBACK_RATINGS),
  reason: z.nullable(z.enum(FEEDBACK_REASONS)),
  /** Plain text as the person typed it: shown as text, never as HTML. */
  comment: z.nullable(z.string()),
  model: z.nullable(z.string()),
  userId: z.string(),
  /** Null when the person's account is gone. */
  email: z.nullable(z.string()),
  createdAt: z.string(),
  /** When it was last given: the list's order. */
  updatedAt: z.string(),
});

export const feedbackPageSchema = z.object({
  items: z.array(feedbackEntrySchema),
  nextCursor: z.nullable(z.string()),
  /** How many of each rating the filters match, over every page (the cursor aside). */
  totals: z.object({ up: z.number(), down: z.number() }),
});

export type FeedbackEntry = z.infer<typeof feedbackEntrySchema>;
export type FeedbackPage = z.infer<typeof feedbackPageSchema>;
export type FeedbackTotals = FeedbackPage['totals'];

/** Exact filters; days as `YYYY-MM-DD` (UTC, both included). */
export interface FeedbackFilters {
  readonly rating?: FeedbackRating;
  readonly reason?: FeedbackReason;
  readonly model?: string;
  readonly from?: string;
  readonly to?: string;
}

export const FEEDBACK_PAGE_SIZE = 50;
/** The most entries one download holds, as for the audit log. */
export const FEEDBACK_DOWNLOAD_MAX = 10_000;
/** The API's largest page (`limit` up to 200). */
const FEEDBACK_DOWNLOAD_PAGE = 200;

/** Feedback on replies, newest first, one keyset page at a time, with the totals of the filters. */
export function listFeedback(
  api: ApiClient,
  filters: FeedbackFilters,
  cursor: string | undefined,
  signal?: AbortSignal,
  limit = FEEDBACK_PAGE_SIZE,
): Promise<FeedbackPage> {
  return api.request('/admin/feedback', feedbackPageSchema, {
    query: { ...filters, limit, cursor },
    signal,
  });
}

export interface FeedbackDownload {
  readonly entries: readonly FeedbackEntry[];
  /** False when the filters match more than `max` entries: the download holds the newest. */
  readonly complete: boolean;
}

/** Every entry the filters match, newest first, up to `max` (see allPages). */
export async function allFeedback(
  api: ApiClient,
  filters: FeedbackFilters,
  options: { readonly max?: number; readonly signal?: AbortSignal; onProgress?(count: number): void } = {},
): Promise<FeedbackDownload> {
  const { items, complete } = await allPages(
    (cursor, limit) => listFeedback(api, filters, cursor, options.signal, limit),
    {
      max: options.max ?? FEEDBACK_DOWNLOAD_MAX,
      pageSize: FEEDBACK_DOWNLOAD_PAGE,
      onProgress: options.onProgress,
    },
  );
  return { entries: items, complete };
}
