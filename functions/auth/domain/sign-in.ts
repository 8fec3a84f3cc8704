import { isRole, type Role } from '#shared/domain/roles';

/**
 * What Cognito shows when pre-authentication refuses a sign-in. One message for a locked and a
 * disabled account, given for unknown names too: it tells nobody whether an account exists.
 * No final full stop: Cognito adds one ("PreAuthentication failed with error <message>.").
 */
export const SIGN_IN_BLOCKED_MESSAGE = 'Account locked. Try again later';

/** What Cognito shows when the check itself failed (the cause is logged, never shown). */
export const SIGN_IN_UNAVAILABLE_MESSAGE = 'Sign-in is unavailable right now. Try again in a minute';

export class SignInBlockedError extends Error {
  constructor(readonly reason: 'locked' | 'disabled') {
    super(SIGN_IN_BLOCKED_MESSAGE);
    this.name = 'SignInBlockedError';
  }
}

/** The role a user's Cognito groups imply: only when exactly one role group is among them. */
export function roleFromGroups(groups: readonly string[] | undefined): Role | null {
  const roles = [...new Set((groups ?? []).filter(isRole))];
  return roles.length === 1 ? (roles[0] ?? null) : null;
}

/**
 * The groups the token should carry: exactly the user's role when `users.role` is set (the source
 * of truth); else the one role the Cognito groups imply; else none (403 everywhere but /me).
 */
export function tokenGroups(storedRole: Role | null, cognitoGroups: readonly string[] | undefined): Role[] {
  const role = storedRole ?? roleFromGroups(cognitoGroups);
  return role ? [role] : [];
}
