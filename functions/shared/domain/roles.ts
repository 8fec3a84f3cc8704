/**
 * The roles, one Cognito group each, in precedence order: when a token carries several role
 * groups (which pre-token-generation prevents), the first here wins.
 */
export const ROLES = ['admins', 'auditors', 'members'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The roles that chat and keep conversations of their own. */
export const CHAT_ROLES: readonly Role[] = ['members', 'admins'];

/** A disabled user can neither sign in nor use a token issued before. */
export type UserStatus = 'active' | 'disabled';
