import { describe, expect, it, vi } from 'vitest';

import type { ApiClient } from '@/lib/api-client';
import { setInstructions } from '@/features/me/api/instructions';

function recording() {
  const request = vi.fn(
    async (_path: string, _schema: unknown, init: { body: { instructions: string | null } }) => ({
      instructions: init.body.instructions,
    }),
  );
  return { api: { fetch: vi.fn(), request } as unknown as ApiClient, request };
}

describe('setInstructions', () => {
  it('sends the instructions trimmed', async () => {
    const { api, request } = recording();

    await expect(setInstructions(api, '  Answer in French.\n')).resolves.toBe('Answer in French.');

    expect(request).toHaveBeenCalledWith('/me/instructions', expect.anything(), {
      method: 'PUT',
      body: { instructions: 'Answer in French.' },
    });
  });

  it.each([
    ['nothing', ''],
    ['zero-width spaces and a filler', ' \u200b\ufeff\u3164 '],
  ])('removes them (null) for a text of %s, which says nothing', async (_case, text) => {
    const { api, request } = recording();

    await expect(setInstructions(api, text)).resolves.toBeNull();

    expect(request.mock.calls[0]?.[2]).toEqual({ method: 'PUT', body: { instructions: null } });
  });
});
