import type { Caller } from '#shared/domain/caller';
import { AdminUserNotFoundError } from '../domain/admin-user';
import type { AdminTransaction } from '../ports/user-admin';

/** Lifts a sign-in lockout: the user's failed attempts are forgotten. Audited. */
export const makeUnlockUser =
  (deps: { transaction: AdminTransaction; now?: () => Date }) =>
  (caller: Caller, id: string, requestId: string): Promise<void> =>
    deps.transaction(async ({ users, audit }) => {
      const user = await users.get(id, deps.now?.() ?? new Date());
      if (!user) throw new AdminUserNotFoundError();
      await users.clearSignInAttempts(user.email);
      await audit.record({
        actorId: caller.userId,
        action: 'user.unlock',
        targetType: 'user',
        targetId: id,
        requestId,
        details: { before: { locked: user.locked, lockedUntil: user.lockedUntil }, after: { locked: false } },
      });
    });
