import { ok } from '#shared/http/responses';
import { limitParam } from '#shared/pagination/cursor';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { ADMINS, adminUserSchema, filterText, roleSchema, statusSchema, userCursorParam } from './schemas';

const INACTIVE_RANGE = 'must be a whole number of days between 1 and 3650';

export const listUsers = defineRoute(
  {
    id: 'admin.users.list',
    method: 'GET',
    path: '/api/admin/users',
    summary:
      'Users with role, status, MFA, lock state, last sign-in and tokens used this month, newest first; inactiveDays finds dormant accounts',
    access: ADMINS,
    query: z.strictObject({
      q: z.optional(filterText(200)),
      role: z.optional(roleSchema),
      status: z.optional(statusSchema),
      inactiveDays: z.optional(
        z.coerce
          .number({ message: INACTIVE_RANGE })
          .check(z.int(INACTIVE_RANGE), z.gte(1, INACTIVE_RANGE), z.lte(3650, INACTIVE_RANGE))
          .register(z.globalRegistry, {
            description:
              'Only people who have not signed in for this many days (never: since they were added)',
          }),
      ),
      limit: limitParam(50, 200),
      cursor: z.optional(userCursorParam),
    }),
    responses: {
      200: {
        description: 'A page of users',
        schema: z.object({ items: z.array(adminUserSchema), nextCursor: z.nullable(z.string()) }),
      },
    },
  },
  async ({ query }, { listUsers }) => ok(await listUsers(query)),
);
