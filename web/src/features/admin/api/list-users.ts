import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';
import { adminUserSchema } from '@/features/admin/api/admin-user-schema';
import type { AdminRole, UserStatus } from '@/features/admin/api/admin-user-schema';

export const usersPageSchema = z.object({
  items: z.array(adminUserSchema),
  nextCursor: z.nullable(z.string()),
});

export type UsersPage = z.infer<typeof usersPageSchema>;

export interface UserFilters {
  /** Part of an e-mail address or display name. */
  readonly q?: string;
  readonly role?: AdminRole;
  readonly status?: UserStatus;
}

export const USERS_PAGE_SIZE = 50;

/** Users, newest first, one keyset page at a time. */
export function listUsers(
  api: ApiClient,
  filters: UserFilters,
  cursor: string | undefined,
  signal?: AbortSignal,
): Promise<UsersPage> {
  return api.request('/admin/users', usersPageSchema, {
    query: { ...filters, limit: USERS_PAGE_SIZE, cursor },
    signal,
  });
}
