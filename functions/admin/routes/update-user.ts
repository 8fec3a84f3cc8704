import { ok } from '#shared/http/responses';
import * as z from '#shared/zod';
import { MAX_MONTHLY_TOKENS } from '../domain/admin-user';
import { defineRoute } from './define';
import { ADMINS, adminUserSchema, roleSchema, statusSchema, userIdParams } from './schemas';

export const updateUser = defineRoute(
  {
    id: 'admin.users.update',
    method: 'PATCH',
    path: '/api/admin/users/{id}',
    summary:
      "Change a user's role, status or monthly token quota (null: back to the role's default); audited",
    access: ADMINS,
    params: userIdParams,
    body: z
      .strictObject({
        role: z.optional(roleSchema),
        status: z.optional(statusSchema),
        monthlyTokens: z
          .optional(
            z.nullable(
              z
                .int({ message: 'expected a whole number' })
                .check(
                  z.gte(0, 'must not be negative'),
                  z.lte(MAX_MONTHLY_TOKENS, `must be at most ${MAX_MONTHLY_TOKENS}`),
                ),
            ),
          )
          .register(z.globalRegistry, {
            description: "The user's own monthly tokens; null puts them back on their role's default",
          }),
      })
      .check(
        z.refine(
          (body) => body.role !== undefined || body.status !== undefined || body.monthlyTokens !== undefined,
          'give at least one of role, status, monthlyTokens',
        ),
      ),
    responses: { 200: { description: 'The user after the change', schema: adminUserSchema } },
    problems: {
      404: 'No such user',
      409: 'You cannot demote or disable yourself, or remove the last active admin',
    },
  },
  async ({ caller, params, body, requestId }, { updateUser }) =>
    ok(await updateUser(caller, params.id, body, requestId)),
);
