import { describe, expect, it, vi } from 'vitest';

import type { ApiClient } from '@/lib/api-client';
import { allFeedback, feedbackPageSchema, listFeedback } from '@/features/admin/api/list-feedback';
import type { FeedbackEntry } from '@/features/admin/api/list-feedback';

const entry = (n: number): FeedbackEntry => ({
  messageId: `m${n}`,
  rating: 'down',
  reason: 'incomplete',
  comment: null,
  model: 'gpt-4o-mini',
  userId: 'u-1',
  email: 'ann@example.com',
  createdAt: '2026-03-10T12:00:00.000Z',
  updatedAt: '2026-03-10T12:00:00.000Z',
});

/** An API holding `total` entries, served in the pages asked for (cursor: the next index). */
function apiWith(total: number) {
  const request = vi.fn(
    async (_path: string, _schema: unknown, options?: { query?: Record<string, unknown> }) => {
      const start = Number(options?.query?.cursor ?? 0);
      const limit = Number(options?.query?.limit);
      const end = Math.min(total, start + limit);
      return {
        items: Array.from({ length: end - start }, (_, i) => entry(start + i)),
        nextCursor: end < total ? String(end) : null,
        totals: { up: 0, down: total },
      };
    },
  );
  const api = { fetch: vi.fn(), request } as unknown as ApiClient;
  return { api, request };
}

describe('feedbackPageSchema', () => {
  it("reads the API's answer: entries, the next cursor and the totals", () => {
    // Prepare
    const answer = {
      items: [{ ...entry(1), reason: null, comment: '<b>not bold</b>', email: null, model: null }],
      nextCursor: null,
      totals: { up: 12, down: 3 },
    };

    // Act
    const parsed = feedbackPageSchema.safeParse(answer);

    // Assess
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual(answer);
  });

  it('refuses a rating or a reason the API does not give, and an answer without totals', () => {
    const page = (item: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      items: [{ ...entry(1), ...item }],
      nextCursor: null,
      totals: { up: 0, down: 1 },
      ...extra,
    });
    expect(feedbackPageSchema.safeParse(page({ rating: 'meh' })).success).toBe(false);
    expect(feedbackPageSchema.safeParse(page({ reason: 'boring' })).success).toBe(false);
    expect(feedbackPageSchema.safeParse(page({}, { totals: undefined })).success).toBe(false);
  });
});

describe('listFeedback', () => {
  it('asks for one page with the filters, the page size and the cursor', async () => {
    const { api, request } = apiWith(1);
    const controller = new AbortController();

    await listFeedback(
      api,
      { rating: 'down', model: 'gpt-4o-mini', to: '2026-03-10' },
      'c1',
      controller.signal,
    );

    expect(request).toHaveBeenCalledWith('/admin/feedback', feedbackPageSchema, {
      query: { rating: 'down', model: 'gpt-4o-mini', to: '2026-03-10', limit: 50, cursor: 'c1' },
      signal: controller.signal,
    });
  });
});

describe('allFeedback', () => {
  it('reads page after page with the filters until the last one, and says it is complete', async () => {
    // Prepare
    const { api, request } = apiWith(450);
    const progress: number[] = [];

    // Act
    const result = await allFeedback(
      api,
      { rating: 'down', reason: 'incomplete', from: '2026-03-01' },
      { onProgress: (count) => progress.push(count) },
    );

    // Assess
    expect(result.complete).toBe(true);
    expect(result.entries.map((e) => e.messageId)).toEqual(Array.from({ length: 450 }, (_, i) => `m${i}`));
    expect(progress).toEqual([200, 400, 450]);
    const filters = { rating: 'down', reason: 'incomplete', from: '2026-03-01' };
    expect(request.mock.calls.map(([path, , options]) => [path, options?.query])).toEqual([
      ['/admin/feedback', { ...filters, limit: 200, cursor: undefined }],
      ['/admin/feedback', { ...filters, limit: 200, cursor: '200' }],
      ['/admin/feedback', { ...filters, limit: 200, cursor: '400' }],
    ]);
  });

  it('stops at the most a download holds, asking for no more than that, and says there is more', async () => {
    const { api, request } = apiWith(1_000);
    const result = await allFeedback(api, {}, { max: 250 });
    expect(result.entries).toHaveLength(250);
    expect(result.complete).toBe(false);
    expect(request.mock.calls.map(([, , options]) => options?.query?.limit)).toEqual([200, 50]);
  });

  it('holds at most 10,000 entries by default, 200 a request', async () => {
    const { api, request } = apiWith(10_050);
    const result = await allFeedback(api, {});
    expect(result.entries).toHaveLength(10_000);
    expect(result.complete).toBe(false);
    expect(request).toHaveBeenCalledTimes(50);
    expect(request.mock.calls.every(([, , options]) => options?.query?.limit === 200)).toBe(true);
  });

  it('answers no feedback with no entries, complete, in one request', async () => {
    const { api, request } = apiWith(0);
    expect(await allFeedback(api, {})).toEqual({ entries: [], complete: true });
    expect(request).toHaveBeenCalledTimes(1);
  });

  it('passes the abort signal on, and fails with the API error of any page', async () => {
    const controller = new AbortController();
    const failure = new Error('refused');
    const request = vi
      .fn()
      .mockResolvedValueOnce({ items: [entry(0)], nextCursor: 'next', totals: { up: 0, down: 2 } })
      .mockRejectedValueOnce(failure);
    const api = { fetch: vi.fn(), request } as unknown as ApiClient;

    await expect(allFeedback(api, {}, { signal: controller.signal })).rejects.toBe(failure);
    expect(request).toHaveBeenCalledTimes(2);
    expect(request.mock.calls.every(([, , options]) => options?.signal === controller.signal)).toBe(true);
  });
});
