import type { Caller } from '#shared/domain/caller';
import { AdminUserNotFoundError, ServiceAccountError } from '../domain/admin-user';
import { inTransactionWithIdentity, type IdentityChangeDeps } from './identity-transaction';

/**
 * Signs a user out everywhere: every refresh token revoked (Cognito), and every access token
 * refused from the next request on (ours). The audit event commits only when
 * the identity provider did it; a sign-out cannot be undone, so a failed commit after it leaves
 * the user signed out (the safe side) and the request failed.
 */
export const makeSignOutUser =
  (deps: IdentityChangeDeps) =>
  (caller: Caller, id: string, requestId: string): Promise<void> =>
    inTransactionWithIdentity(deps, async ({ users, audit }, steps) => {
      const user = await users.get(id, deps.now?.() ?? new Date());
      if (!user) throw new AdminUserNotFoundError();
      if (user.kind === 'service') throw new ServiceAccountError('sessions to sign out');
      // Cognito first, then the revocation's instant: a token refreshed before Cognito revoked the
      // refresh tokens is refused too.
      await steps.run('sign out', () => deps.identity.signOut(user.email));
      await users.revokeTokens(id);
      await audit.record({
        actorId: caller.userId,
        action: 'user.sign-out',
        targetType: 'user',
        targetId: id,
        requestId,
      });
    });
