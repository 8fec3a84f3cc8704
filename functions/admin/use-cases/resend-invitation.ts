import type { Caller } from '#shared/domain/caller';
import { AdminUserNotFoundError, DisabledInvitationError, ServiceAccountError } from '../domain/admin-user';
import { inTransactionWithIdentity, type IdentityChangeDeps } from './identity-transaction';

/**
 * Sends a user's invitation again (Cognito e-mails a new temporary password) when the first one
 * expired after its 3 days or was lost: the user cannot reset a password they never set. Not to a
 * disabled user, who could not sign in with it (enable them first). The
 * audit event commits only when Cognito sent it; an e-mail cannot be taken back, so a failed commit
 * after it leaves the invitation sent and the request failed.
 */
export const makeResendInvitation =
  (deps: IdentityChangeDeps) =>
  (caller: Caller, id: string, requestId: string): Promise<void> =>
    inTransactionWithIdentity(deps, async ({ users, audit }, steps) => {
      const user = await users.get(id, deps.now?.() ?? new Date());
      if (!user) throw new AdminUserNotFoundError();
      if (user.kind === 'service') throw new ServiceAccountError('invitation');
      if (user.status === 'disabled') throw new DisabledInvitationError();
      await audit.record({
        actorId: caller.userId,
        action: 'user.invite-resent',
        targetType: 'user',
        targetId: id,
        requestId,
      });
      await steps.run('resend invitation', () => deps.identity.resendInvitation(user.email));
    });
