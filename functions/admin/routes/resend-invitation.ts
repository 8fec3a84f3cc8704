import { noContent } from '#shared/http/responses';
import { defineRoute } from './define';
import { ADMINS, userIdParams } from './schemas';

export const resendInvitation = defineRoute(
  {
    id: 'admin.users.resend-invitation',
    method: 'POST',
    path: '/api/admin/users/{id}/resend-invitation',
    summary:
      'Send the invitation again, with a new temporary password, to a user who has not signed in yet; audited',
    access: ADMINS,
    params: userIdParams,
    responses: { 204: { description: 'Sent' } },
    problems: {
      404: 'No such user',
      409: 'The user has already signed in, is disabled, is a service account, or is missing from Cognito',
      503: 'Cognito sent no invitation (its daily e-mail limit, or the address could not be reached) (`invitation-not-sent`, with Retry-After)',
    },
  },
  async ({ caller, params, requestId }, { resendInvitation }) => {
    await resendInvitation(caller, params.id, requestId);
    return noContent();
  },
);
