import { noContent } from '#shared/http/responses';
import { defineRoute } from './define';
import { ADMINS, userIdParams } from './schemas';

export const signOutUser = defineRoute(
  {
    id: 'admin.users.sign-out',
    method: 'POST',
    path: '/api/admin/users/{id}/sign-out',
    summary: 'Sign a user out everywhere (Cognito revokes their refresh tokens); audited',
    access: ADMINS,
    params: userIdParams,
    responses: { 204: { description: 'Signed out' } },
    problems: { 404: 'No such user', 409: 'A service account, or a user missing from Cognito' },
  },
  async ({ caller, params, requestId }, { signOutUser }) => {
    await signOutUser(caller, params.id, requestId);
    return noContent();
  },
);
