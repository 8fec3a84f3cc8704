import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';

export const snippetPartSchema = z.object({ text: z.string(), match: z.boolean() });

export const searchHitSchema = z.object({
  conversationId: z.string(),
  conversationTitle: z.string(),
  messageId: z.string(),
  role: z.enum(['user', 'assistant']),
  /** The message around the matches, in parts; `match` parts are the words found. */
  snippet: z.array(snippetPartSchema),
  rank: z.number(),
  createdAt: z.string(),
});

export const searchPageSchema = z.object({
  items: z.array(searchHitSchema),
  nextCursor: z.nullable(z.string()),
});

export type SearchHit = z.infer<typeof searchHitSchema>;
export type SearchPage = z.infer<typeof searchPageSchema>;

export const SEARCH_PAGE_SIZE = 20;

/** Full-text search over the caller's own messages, best first (newest first for a Chinese, Japanese or Korean `q`). */
export function searchMessages(
  api: ApiClient,
  input: { readonly q: string; readonly cursor?: string; readonly limit?: number },
  signal?: AbortSignal,
): Promise<SearchPage> {
  return api.request('/search', searchPageSchema, {
    query: { q: input.q, cursor: input.cursor, limit: input.limit ?? SEARCH_PAGE_SIZE },
    signal,
  });
}
