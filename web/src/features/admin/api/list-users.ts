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
  /** Only people who have not signed in for this many days (dormant accounts). */
  readonly inactiveDays?: InactiveDays;
  /** Only people with two-factor sign-in set up (on) or not (off). */
  readonly mfa?: MfaFilter;
  /** 'true': only people locked out of sign-in now (the API takes no other value). */
  readonly locked?: LockedFilter;
}

export const MFA_FILTERS = ['on', 'off'] as const;
export type MfaFilter = (typeof MFA_FILTERS)[number];
export const LOCKED_FILTERS = ['true'] as const;
export type LockedFilter = (typeof LOCKED_FILTERS)[number];

/** The choices the users page offers for dormant accounts, in days. */
export const INACTIVE_DAYS = ['30', '90', '180', '365'] as const;
export type InactiveDays = (typeof INACTIVE_DAYS)[number];

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
