import type { AuditLog } from '#shared/audit/audit-log';
import type { Caller } from '#shared/domain/caller';
import type { InTransaction } from '#shared/domain/transaction';
import type { RevocationList } from '#shared/revocation/revocation-list';

/**
 * Signs the caller out everywhere: every access token issued until now is refused from the next
 * request on (the web also revokes its refresh token with Cognito). Audited in the same transaction.
 */
export const makeSignOutEverywhere =
  (deps: { transaction: InTransaction<{ revocations: RevocationList; audit: AuditLog }> }) =>
  (caller: Caller, requestId: string): Promise<void> =>
    deps.transaction(async ({ revocations, audit }) => {
      await revocations.revokeTokens(caller.userId);
      await audit.record({
        actorId: caller.userId,
        action: 'auth.sign-out-everywhere',
        targetType: 'user',
        targetId: caller.userId,
        requestId,
      });
    });
