import { ACCESS_TOKEN_MINUTES } from '#shared/domain/access-token';
import { noContent } from '#shared/http/responses';
import { defineRoute } from './define';
import { ADMINS, userIdParams } from './schemas';

export const eraseUser = defineRoute(
  {
    id: 'admin.users.erase',
    method: 'DELETE',
    path: '/api/admin/users/{id}',
    summary: `Erase a disabled user for good (the right to erasure): their Cognito user, conversations, messages and feedback (their usage stays in the reports, as an erased user's); only ${ACCESS_TOKEN_MINUTES} minutes or more after the disable, when their last access token has expired; audited with counts only (and the usage kept)`,
    access: ADMINS,
    params: userIdParams,
    responses: { 204: { description: 'Erased' } },
    problems: {
      404: 'No such user',
      409: 'Not disabled, disabled too recently, yourself, or a service account',
    },
  },
  async ({ caller, params, requestId }, { eraseUser }) => {
    await eraseUser(caller, params.id, requestId);
    return noContent();
  },
);
