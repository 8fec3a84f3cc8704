import { ok } from '#shared/http/responses';
import { limitParam } from '#shared/pagination/cursor';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { ADMINS, adminUserSchema, filterText, roleSchema, statusSchema, userCursorParam } from './schemas';

export const listUsers = defineRoute(
  {
    id: 'admin.users.list',
    method: 'GET',
    path: '/api/admin/users',
    summary: 'Users with role, status, MFA, lock state and tokens used this month, newest first',
    access: ADMINS,
    query: z.strictObject({
      q: z.optional(filterText(200)),
      role: z.optional(roleSchema),
      status: z.optional(statusSchema),
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
