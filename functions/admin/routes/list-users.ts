import * as z from 'zod';
import { ok } from '#shared/http/responses';
import { limitParam } from '#shared/pagination/cursor';
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
      q: filterText(200).optional(),
      role: roleSchema.optional(),
      status: statusSchema.optional(),
      limit: limitParam(50, 200),
      cursor: userCursorParam.optional(),
    }),
    responses: {
      200: {
        description: 'A page of users',
        schema: z.object({ items: z.array(adminUserSchema), nextCursor: z.string().nullable() }),
      },
    },
  },
  async ({ query }, { listUsers }) => ok(await listUsers(query)),
);
