import type { Role } from '#shared/domain/roles';
import { SignInBlockedError, tokenGroups } from '../domain/sign-in';
import type { AuthUsers } from '../ports/auth-users';

/**
 * Pre-token-generation: the groups the tokens carry — exactly `users.role` (the source of truth).
 * A user disabled in `users` gets no tokens at all, refreshes included.
 */
export function makeResolveTokenGroups(deps: { readonly users: AuthUsers }) {
  return async function resolveTokenGroups(input: {
    readonly sub: string | undefined;
    readonly email: string | undefined;
    readonly groups: readonly string[] | undefined;
  }): Promise<Role[]> {
    const user =
      input.sub || input.email ? await deps.users.find({ id: input.sub, email: input.email }) : null;
    if (user?.status === 'disabled') throw new SignInBlockedError('disabled');
    return tokenGroups(user?.role ?? null, input.groups);
  };
}
