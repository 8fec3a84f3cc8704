import { ROLES, type Role } from '#shared/domain/roles';
import { isRealInstant } from '#shared/domain/calendar';
import * as z from '#shared/zod';
import { daysBetween, isRealDate } from '../domain/dates';

/** Managing users: admins only. */
export const ADMINS: readonly Role[] = ['admins'];
/** Reading usage and the audit trail (metadata only): admins and auditors. */
export const OVERSIGHT: readonly Role[] = ['admins', 'auditors'];

/** Control characters have no place in a filter or an address (NUL among them). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A free-text filter: trimmed, 1 to `max` characters, no control characters. */
export const filterText = (max: number) =>
  z.string().check(
    z.trim(),
    z.minLength(1, 'must not be empty'),
    z.maxLength(max, `must be at most ${max} characters`),
    z.refine((text: string) => !CONTROL.test(text), 'must not contain control characters'),
  );

/** A Cognito `sub` (UUID) or a machine client's app client id. */
const USER_ID = /^[A-Za-z0-9-]{1,128}$/;

export const userIdParams = z.strictObject({
  id: z.string().check(z.regex(USER_ID, 'expected a user id')),
});

export const roleSchema = z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` });
export const statusSchema = z.enum(['active', 'disabled'], { message: 'must be active or disabled' });

/** `YYYY-MM-DD`, a date that exists (2026-02-30 does not). */
export const dateParam = z
  .string()
  .check(
    z.regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD'),
    z.refine(isRealDate, 'is not a real date'),
  );

/** A query's optional days in order: `from` after `to` is a 400 naming `from`. */
export const daysInOrder = z.superRefine((query: { readonly from?: string; readonly to?: string }, ctx) => {
  if (query.from && query.to && daysBetween(query.from, query.to) < 0)
    ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
});

const userKeyset = z.object({
  at: z.string().check(z.refine(isRealInstant)),
  id: z.string().check(z.regex(USER_ID)),
});

/** The users list's cursor: created_at and id of the last user of a page (ids are not all UUIDs). */
export const userCursorParam = z.pipe(
  z.string().check(z.maxLength(512)),
  z.transform((value: string, ctx) => {
    try {
      const parsed = z.safeParse(userKeyset, JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // not base64url JSON: refused below
    }
    ctx.issues.push({ code: 'custom', message: 'is not a cursor this API returned', input: value });
    return z.NEVER;
  }),
);

export const adminUserSchema = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  kind: z.enum(['user', 'service']),
  role: z.nullable(roleSchema),
  status: statusSchema,
  mfaEnabled: z.boolean(),
  locked: z.boolean(),
  lockedUntil: z.nullable(z.iso.datetime()),
  monthlyTokens: z.int().register(z.globalRegistry, { description: 'Tokens the user may use this month' }),
  quotaIsDefault: z.boolean().register(z.globalRegistry, {
    description: "True when monthlyTokens is the role's default, false when set for this user",
  }),
  usedTokens: z.int(),
  createdAt: z.iso.datetime(),
  disabledAt: z.nullable(z.iso.datetime()).register(z.globalRegistry, {
    description:
      'For a disabled user, since when their tokens are refused (the disable, or a later sign-out); erasing them works from an hour after it. Null when active',
  }),
  lastSignInAt: z.nullable(z.iso.datetime()).register(z.globalRegistry, {
    description: 'The last completed sign-in; null: never (or before sign-ins were recorded)',
  }),
});
