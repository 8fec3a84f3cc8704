import { describe, expect, it, vi } from 'vitest';

import type { ApiClient } from '@/lib/api-client';
import { giveFeedback } from '@/features/chat/api/reply-feedback';

function recording() {
  const request = vi.fn(async () => ({}));
  return { api: { fetch: vi.fn(), request } as unknown as ApiClient, request };
}

const bodyOf = (request: ReturnType<typeof recording>['request']) =>
  ((request.mock.calls[0] as unknown[] | undefined)?.[2] as { body: unknown }).body;

describe('giveFeedback', () => {
  it('sends the comment trimmed, with the reason of a thumbs down', async () => {
    const { api, request } = recording();

    await giveFeedback(api, 'c 1', 'm/2', {
      rating: 'down',
      reason: 'inaccurate',
      comment: '  Wrong year \n',
    });

    expect(request).toHaveBeenCalledWith(
      '/conversations/c%201/messages/m%2F2/feedback',
      expect.anything(),
      expect.objectContaining({ method: 'PUT' }),
    );
    expect(bodyOf(request)).toEqual({ rating: 'down', reason: 'inaccurate', comment: 'Wrong year' });
  });

  it.each([
    ['nothing', ''],
    ['spaces', '   '],
    ['zero-width spaces and a filler', '\u200b\u200b\u3164'],
    ['a lone accent', '\u0301'],
  ])(
    'leaves out a comment of %s, which says nothing (the API would refuse it as empty)',
    async (_case, comment) => {
      const { api, request } = recording();

      await giveFeedback(api, 'c', 'm', { rating: 'down', comment });

      expect(bodyOf(request)).toEqual({ rating: 'down' });
    },
  );
});
