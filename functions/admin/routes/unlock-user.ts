import { noContent } from '#shared/http/responses';
import { defineRoute } from './define';
import { ADMINS, userIdParams } from './schemas';

export const unlockUser = defineRoute(
  {
    id: 'admin.users.unlock',
    method: 'POST',
    path: '/api/admin/users/{id}/unlock',
    summary: "Lift a user's sign-in lockout; audited",
    access: ADMINS,
    params: userIdParams,
    responses: { 204: { description: 'Unlocked' } },
    problems: { 404: 'No such user' },
  },
  async ({ caller, params, requestId }, { unlockUser }) => {
    await unlockUser(caller, params.id, requestId);
    return noContent();
  },
);
