import { ok } from '#shared/http/responses';
import { wholeNumberParam } from '#shared/http/whole-number-param';
import { limitParam } from '#shared/pagination/cursor';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { ADMINS, adminUserSchema, filterText, roleSchema, statusSchema, userCursorParam } from './schemas';

const INACTIVE_RANGE = 'must be a whole number of days between 1 and 3650';

/** `mfa=on|off`: who has set up two-factor sign-in, or who has not (to enforce it). */
const mfaParam = z.enum(['on', 'off'], { message: 'must be on or off' }).register(z.globalRegistry, {
  description: 'Only people with two-factor sign-in set up (on) or not (off)',
});

/**
 * `locked=true`: who is locked out of sign-in now. Only `true`: `false` would read as "not locked"
 * to some and "no filter" to others, so it is refused rather than guessed.
 */
const lockedParam = z
  .literal('true', { message: 'must be true (leave it out to list everyone)' })
  .register(z.globalRegistry, {
    description:
      'Only people whose sign-in is locked now by failed attempts (the rule sign-in applies); each item says so in locked',
  });

export const listUsers = defineRoute(
  {
    id: 'admin.users.list',
    method: 'GET',
    path: '/api/admin/users',
    summary:
      'Users with role, status, MFA, lock state, last sign-in and tokens used this month, newest first; inactiveDays finds dormant accounts, mfa=off those without two-factor, locked=true those locked out of sign-in now',
    access: ADMINS,
    query: z.strictObject({
      q: z.optional(filterText(200)),
      role: z.optional(roleSchema),
      status: z.optional(statusSchema),
      inactiveDays: z.optional(
        wholeNumberParam(1, 3650, INACTIVE_RANGE).register(z.globalRegistry, {
          description: 'Only people who have not signed in for this many days (never: since they were added)',
        }),
      ),
      mfa: z.optional(mfaParam),
      locked: z.optional(lockedParam),
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
  async ({ query: { mfa, locked, ...filters } }, { listUsers }) =>
    ok(
      await listUsers({
        ...filters,
        ...(mfa ? { mfaEnabled: mfa === 'on' } : {}),
        ...(locked ? { lockedNow: true } : {}),
      }),
    ),
);
