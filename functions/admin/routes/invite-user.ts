import { created } from '#shared/http/responses';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { ADMINS, adminUserSchema, roleSchema } from './schemas';

export const inviteUser = defineRoute(
  {
    id: 'admin.users.invite',
    method: 'POST',
    path: '/api/admin/users',
    summary: 'Invite a user (Cognito sends the invitation e-mail); audited',
    access: ADMINS,
    body: z.strictObject({
      // 254: the longest address SMTP can carry (RFC 5321 path limit).
      email: z
        .email({ message: 'expected an e-mail address' })
        .check(z.maxLength(254, 'must be at most 254 characters')),
      role: roleSchema,
    }),
    responses: { 201: { description: 'The invited user', schema: adminUserSchema } },
    problems: {
      409: 'A user with this e-mail address already exists (a Cognito user that never signed in and has no Parley user is taken over and invited again, not refused)',
      503: 'Cognito sent no invitation (its daily e-mail limit, or the address could not be reached); nobody was invited (`invitation-not-sent`, with Retry-After)',
    },
  },
  async ({ caller, body, requestId }, { inviteUser }) => created(await inviteUser(caller, body, requestId)),
);
