import * as z from 'zod/mini';

export const ROLES = ['admins', 'auditors', 'members'] as const;
export const STATUSES = ['active', 'disabled'] as const;

export const adminRoleSchema = z.enum(ROLES);
export const userStatusSchema = z.enum(STATUSES);

/** A user as the admin API shows them: account, access, lock state and this month's tokens. */
export const adminUserSchema = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  kind: z.enum(['user', 'service']),
  /** null: in no Cognito group yet. */
  role: z.nullable(adminRoleSchema),
  status: userStatusSchema,
  mfaEnabled: z.boolean(),
  locked: z.boolean(),
  lockedUntil: z.nullable(z.string()),
  monthlyTokens: z.int(),
  /** true: monthlyTokens is the role's default; false: a quota set for this user. */
  quotaIsDefault: z.boolean(),
  usedTokens: z.int(),
  createdAt: z.string(),
  /** A disabled user's tokens are refused since then; they can be erased an hour after. */
  disabledAt: z.nullable(z.string()),
  /** The last completed sign-in; null: never. */
  lastSignInAt: z.nullable(z.string()),
});

export type AdminUser = z.infer<typeof adminUserSchema>;
export type AdminRole = z.infer<typeof adminRoleSchema>;
export type UserStatus = z.infer<typeof userStatusSchema>;
