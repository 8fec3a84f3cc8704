import type { Role } from '#shared/domain/roles';
import { SignInBlockedError, tokenGroups } from '../domain/sign-in';
import type { AuthUsers } from '../ports/auth-users';
import type { GroupRoles } from '../ports/group-roles';

/**
 * Pre-token-generation: the groups the tokens carry — exactly `users.role` (the source of truth).
 * A user disabled in `users` gets no tokens at all, refreshes included.
 *
 * A role only a Cognito group gives (a person put in `admins` in the console, the first admin's
 * setup) becomes `users.role` here, audited, the first time the row exists without a role: else
 * the person would hold the role with no record of it, the admin list would show none and the
 * last-admin guard, which counts stored roles, would not count them. Without a row yet (the very
 * first sign-in of a user the triggers have not seen) the token carries the group's role, and the
 * next token generation stores it.
 */
export function makeResolveTokenGroups(deps: { readonly users: AuthUsers; readonly roles: GroupRoles }) {
  return async function resolveTokenGroups(input: {
    readonly sub: string | undefined;
    readonly email: string | undefined;
    readonly groups: readonly string[] | undefined;
  }): Promise<Role[]> {
    const user =
      input.sub || input.email ? await deps.users.find({ id: input.sub, email: input.email }) : null;
    if (user?.status === 'disabled') throw new SignInBlockedError('disabled');
    // Only the token's own row (found by its `sub`, not by an e-mail another identity may hold)
    // gives its role: a row found by e-mail alone only refuses, when disabled, above.
    const own = user && user.id === input.sub ? user : null;
    const groups = tokenGroups(own?.role ?? null, input.groups);
    const [groupRole] = groups;
    if (own && own.role === null && groupRole) {
      if (await deps.roles.adopt(own.id, groupRole)) return groups;
      // Someone gave the row a role meanwhile (an admin's change): that one, as stored now.
      const now = await deps.users.find({ id: own.id });
      if (now?.status === 'disabled') throw new SignInBlockedError('disabled');
      return tokenGroups(now?.role ?? null, input.groups);
    }
    return groups;
  };
}
