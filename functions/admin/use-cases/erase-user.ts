import type { Caller } from '#shared/domain/caller';
import { ACCESS_TOKEN_MINUTES } from '#shared/domain/access-token';
import {
  AdminUserNotFoundError,
  ErasureTooSoonError,
  IdentityMissingError,
  NotDisabledError,
  SelfChangeError,
  ServiceAccountError,
  type ErasedData,
} from '../domain/admin-user';
import { inTransactionWithIdentity, type IdentityChangeDeps } from './identity-transaction';

/**
 * Erases a person who left, on request (the right to erasure): their Cognito user, their row,
 * conversations, messages and feedback. Their usage stays, pseudonymised (no user), so past
 * reports and costs do not change; the audit event says how much. Only a user disabled for longer
 * than an access token lives: a slip cannot erase someone active, and no token of theirs can still
 * pass the signature check once no row is left to refuse it. The audit event (counts only) commits with
 * the database change; the Cognito delete runs last inside the transaction, so when it fails
 * nothing is erased. A delete cannot be undone: when the commit fails after it, the row stays
 * (disabled, no identity left), and erasing again finishes the work, a user already gone from
 * Cognito counting as deleted.
 */
export const makeEraseUser =
  (deps: IdentityChangeDeps) =>
  (caller: Caller, id: string, requestId: string): Promise<ErasedData> =>
    inTransactionWithIdentity(deps, async ({ users, audit }, steps) => {
      const now = deps.now?.() ?? new Date();
      const user = await users.get(id, now);
      if (!user) throw new AdminUserNotFoundError();
      if (id === caller.userId) throw new SelfChangeError('erase');
      if (user.kind === 'service')
        throw new ServiceAccountError('Cognito user to erase (remove its app client instead)');
      if (user.status !== 'disabled' || !user.disabledAt) throw new NotDisabledError();
      const erasableAt = new Date(Date.parse(user.disabledAt) + ACCESS_TOKEN_MINUTES * 60_000);
      if (now < erasableAt) throw new ErasureTooSoonError(erasableAt);
      const erased = await users.erase(id, user.email);
      await audit.record({
        actorId: caller.userId,
        action: 'user.erase',
        targetType: 'user',
        targetId: id,
        requestId,
        details: { ...erased },
      });
      await steps.run('delete identity', async () => {
        try {
          await deps.identity.deleteUser(user.email);
        } catch (error) {
          // Gone already (an earlier erase whose commit failed, or removed by hand): done.
          if (!(error instanceof IdentityMissingError)) throw error;
        }
      });
      return erased;
    });
