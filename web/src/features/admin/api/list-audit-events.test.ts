import { describe, expect, it, vi } from 'vitest';

import type { ApiClient } from '@/lib/api-client';
import { allAuditEvents } from '@/features/admin/api/list-audit-events';
import type { AuditEvent } from '@/features/admin/api/list-audit-events';

const event = (n: number): AuditEvent => ({
  id: `e${n}`,
  occurredAt: '2026-03-10T12:00:00.000Z',
  actorId: null,
  actorEmail: null,
  action: 'auth.sign-in',
  targetType: null,
  targetId: null,
  targetEmail: null,
  requestId: null,
  sourceIp: null,
  userAgent: null,
  details: {},
});

/** An API holding `total` events, served in the pages asked for (cursor: the next index). */
function apiWith(total: number) {
  const request = vi.fn(
    async (_path: string, _schema: unknown, options?: { query?: Record<string, unknown> }) => {
      const start = Number(options?.query?.cursor ?? 0);
      const limit = Number(options?.query?.limit);
      const end = Math.min(total, start + limit);
      return {
        items: Array.from({ length: end - start }, (_, i) => event(start + i)),
        nextCursor: end < total ? String(end) : null,
      };
    },
  );
  const api = { fetch: vi.fn(), request } as unknown as ApiClient;
  return { api, request };
}

describe('allAuditEvents', () => {
  it('reads page after page with the filters until the last one, and says it is complete', async () => {
    // Prepare
    const { api, request } = apiWith(450);
    const progress: number[] = [];

    // Act
    const result = await allAuditEvents(
      api,
      { action: 'auth.sign-in', from: '2026-03-01' },
      { onProgress: (count) => progress.push(count) },
    );

    // Assess
    expect(result.complete).toBe(true);
    expect(result.events.map((e) => e.id)).toEqual(Array.from({ length: 450 }, (_, i) => `e${i}`));
    expect(progress).toEqual([200, 400, 450]);
    expect(request.mock.calls.map(([path, , options]) => [path, options?.query])).toEqual([
      ['/admin/audit', { action: 'auth.sign-in', from: '2026-03-01', limit: 200, cursor: undefined }],
      ['/admin/audit', { action: 'auth.sign-in', from: '2026-03-01', limit: 200, cursor: '200' }],
      ['/admin/audit', { action: 'auth.sign-in', from: '2026-03-01', limit: 200, cursor: '400' }],
    ]);
  });

  it('stops at the most a download holds, asking for no more than that, and says there is more', async () => {
    const { api, request } = apiWith(1_000);
    const result = await allAuditEvents(api, {}, { max: 250 });
    expect(result.events).toHaveLength(250);
    expect(result.complete).toBe(false);
    expect(request.mock.calls.map(([, , options]) => options?.query?.limit)).toEqual([200, 50]);
  });

  it('answers an empty trail with no events, complete, in one request', async () => {
    const { api, request } = apiWith(0);
    expect(await allAuditEvents(api, {})).toEqual({ events: [], complete: true });
    expect(request).toHaveBeenCalledTimes(1);
  });

  it('passes the abort signal on, and fails with the API error of any page', async () => {
    const controller = new AbortController();
    const failure = new Error('refused');
    const request = vi
      .fn()
      .mockResolvedValueOnce({ items: [event(0)], nextCursor: 'next' })
      .mockRejectedValueOnce(failure);
    const api = { fetch: vi.fn(), request } as unknown as ApiClient;

    await expect(allAuditEvents(api, {}, { signal: controller.signal })).rejects.toBe(failure);
    expect(request.mock.calls.every(([, , options]) => options?.signal === controller.signal)).toBe(true);
  });
});
