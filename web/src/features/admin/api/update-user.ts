import type { ApiClient } from '@/lib/api-client';
import { adminUserSchema } from '@/features/admin/api/admin-user-schema';
import type { AdminRole, AdminUser, UserStatus } from '@/features/admin/api/admin-user-schema';

export interface UserChange {
  readonly role?: AdminRole;
  readonly status?: UserStatus;
  /** null: back to the role's default. */
  readonly monthlyTokens?: number | null;
}

/** Role, status or quota; 409 (with the reason as detail) for demoting or disabling oneself. */
export function updateUser(api: ApiClient, userId: string, change: UserChange): Promise<AdminUser> {
  return api.request(`/admin/users/${encodeURIComponent(userId)}`, adminUserSchema, {
    method: 'PATCH',
    body: change,
  });
}
