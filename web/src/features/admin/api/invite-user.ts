import type { ApiClient } from '@/lib/api-client';
import { adminUserSchema } from '@/features/admin/api/admin-user-schema';
import type { AdminRole, AdminUser } from '@/features/admin/api/admin-user-schema';

/** Creates the user in Cognito, which e-mails them the invitation; 409 when the address is in use. */
export function inviteUser(
  api: ApiClient,
  input: { readonly email: string; readonly role: AdminRole },
): Promise<AdminUser> {
  return api.request('/admin/users', adminUserSchema, {
    method: 'POST',
    body: { email: input.email.trim(), role: input.role },
  });
}
