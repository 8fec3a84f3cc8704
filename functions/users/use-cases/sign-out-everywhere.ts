import type { AuditLog } from '#shared/audit/audit-log';
import type { Caller } from '#shared/domain/caller';
import type { InTransaction } from '#shared/domain/transaction';
import type { RevocationList } from '#shared/revocation/revocation-list';
import type { Sessions } from '../ports/sessions';

/**
 * Signs the caller out everywhere, in this order:
 * 1. their refresh tokens are revoked with Cognito (AdminUserGlobalSignOut), so no device mints
 *    another access token, whether or not the client also signs out;
 * 2. every access token issued until then is refused from the next request on, from an instant
 *    taken after step 1 (a token refreshed while step 1 ran is refused too), audited in the same
 *    transaction.
 * When step 1 fails nothing is recorded and the request fails: try again.
 */
export const makeSignOutEverywhere =
  (deps: {
    sessions: Sessions;
    transaction: InTransaction<{ revocations: RevocationList; audit: AuditLog }>;
    /** After the commit: the new standing written to the cache, over what a request cached meanwhile. */
    refreshStanding: (userId: string) => Promise<void>;
  }) =>
  async (caller: Caller, requestId: string): Promise<void> => {
    if (caller.kind === 'user' && caller.username) await deps.sessions.signOutEverywhere(caller.username);
    await deps.transaction(async ({ revocations, audit }) => {
      await revocations.revokeTokens(caller.userId);
      await audit.record({
        actorId: caller.userId,
        action: 'auth.sign-out-everywhere',
        targetType: 'user',
        targetId: caller.userId,
        requestId,
      });
    });
    await deps.refreshStanding(caller.userId);
  };
