import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';

/** The admin's one-shot commands on a user, each `POST /admin/users/{id}/<command>` answering 204. */
export type UserCommand = 'unlock' | 'sign-out' | 'reset-mfa' | 'resend-invitation';

export async function runUserCommand(api: ApiClient, userId: string, command: UserCommand): Promise<void> {
  await api.request(`/admin/users/${encodeURIComponent(userId)}/${command}`, z.undefined(), {
    method: 'POST',
  });
}
