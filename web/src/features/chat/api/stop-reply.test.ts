import * as z from 'zod/mini';
import { describe, expect, it, vi } from 'vitest';

import type { ApiClient } from '@/lib/api-client';
import { stopReply } from '@/features/chat/api/stop-reply';

describe('stopReply', () => {
  it('posts to the reply’s stop route, its ids encoded', async () => {
    const request = vi.fn(async () => undefined);
    const api = { fetch: vi.fn(), request } as unknown as ApiClient;

    await stopReply(api, 'c/1', 'm 2');

    expect(request).toHaveBeenCalledWith('/conversations/c%2F1/messages/m%202/stop', expect.anything(), {
      method: 'POST',
    });
    const schema = (request.mock.calls[0] as unknown[] | undefined)?.[1] as z.ZodMiniType;
    expect(z.safeParse(schema, undefined).success).toBe(true);
  });
});
