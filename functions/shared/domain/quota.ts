import type { Role } from './roles';

/** A user's monthly token budget as shown: the number that applies, and where it comes from. */
export interface EffectiveQuota {
  readonly monthlyTokens: number;
  /** True when the user has no quota of their own (`users.monthly_token_quota` is null). */
  readonly isDefault: boolean;
}

/** The role's default monthly tokens (from configuration: CHAT_QUOTA_<ROLE>). */
export type RoleQuota = (role: Role | null) => number;

/** The user's own quota when an admin set one, else their role's default. */
export function effectiveQuota(
  override: number | null | undefined,
  role: Role | null,
  roleQuota: RoleQuota,
): EffectiveQuota {
  return override === null || override === undefined
    ? { monthlyTokens: roleQuota(role), isDefault: true }
    : { monthlyTokens: override, isDefault: false };
}
