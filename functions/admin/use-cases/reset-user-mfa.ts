import type { Caller } from '#shared/domain/caller';
import { AdminUserNotFoundError, ServiceAccountError } from '../domain/admin-user';
import { inTransactionWithIdentity, type IdentityChangeDeps } from './identity-transaction';

/** Turns a user's TOTP MFA off (lost authenticator): they enrol again at their next sign-in. */
export const makeResetUserMfa =
  (deps: IdentityChangeDeps) =>
  (caller: Caller, id: string, requestId: string): Promise<void> =>
    inTransactionWithIdentity(deps, async ({ users, audit }, steps) => {
      const now = deps.now?.() ?? new Date();
      const user = await users.get(id, now);
      if (!user) throw new AdminUserNotFoundError();
      if (user.kind === 'service') throw new ServiceAccountError('MFA');
      await users.update(id, { mfaEnabled: false }, now);
      await audit.record({
        actorId: caller.userId,
        action: 'user.mfa-reset',
        targetType: 'user',
        targetId: id,
        requestId,
        details: { before: { mfaEnabled: user.mfaEnabled }, after: { mfaEnabled: false } },
      });
      const { identity } = deps;
      await steps.run(
        'turn TOTP off',
        () => identity.setTotpMfa(user.email, false),
        // Back on only if it was on: the database's view is the one the rollback restores.
        user.mfaEnabled ? () => identity.setTotpMfa(user.email, true) : undefined,
      );
    });
