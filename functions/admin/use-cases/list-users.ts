import type { Page } from '#shared/pagination/cursor';
import type { AdminUser } from '../domain/admin-user';
import type { UserAdminRepository, UserListOptions } from '../ports/user-admin';

/** Users, newest first, with role, status, MFA, lock state and this month's usage. */
export const makeListUsers =
  (deps: { users: UserAdminRepository; now?: () => Date }) =>
  (options: UserListOptions): Promise<Page<AdminUser>> =>
    deps.users.list(options, deps.now?.() ?? new Date());
