import { noContent } from '#shared/http/responses';
import { defineRoute } from './define';
import { ADMINS, userIdParams } from './schemas';

export const resetUserMfa = defineRoute(
  {
    id: 'admin.users.reset-mfa',
    method: 'POST',
    path: '/api/admin/users/{id}/reset-mfa',
    summary: "Turn a user's TOTP MFA off (a lost authenticator); audited",
    access: ADMINS,
    params: userIdParams,
    responses: { 204: { description: 'MFA reset' } },
    problems: { 404: 'No such user', 409: 'A service account, or a user missing from Cognito' },
  },
  async ({ caller, params, requestId }, { resetUserMfa }) => {
    await resetUserMfa(caller, params.id, requestId);
    return noContent();
  },
);
