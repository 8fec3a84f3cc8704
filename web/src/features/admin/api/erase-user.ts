import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';

/**
 * Erases a disabled person for good, with their conversations, messages, feedback and usage; the
 * API refuses (409) until an hour after the disable, naming the time.
 */
export async function eraseUser(api: ApiClient, userId: string): Promise<void> {
  await api.request(`/admin/users/${encodeURIComponent(userId)}`, z.undefined(), { method: 'DELETE' });
}
