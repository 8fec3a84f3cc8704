import type { Caller } from '#shared/domain/caller';
import {
  AdminUserNotFoundError,
  IdentityMissingError,
  LastAdminError,
  NoLongerAdminError,
  SelfChangeError,
  type AdminUser,
  type UserChanges,
} from '../domain/admin-user';
import { inTransactionWithIdentity, type IdentityChangeDeps } from './identity-transaction';

/**
 * Changes a user's role, status or quota, audits each change, and mirrors the role in the
 * identity provider (groups) without letting the two drift apart. An admin
 * cannot demote or disable themself, and the last active admin stays one.
 */
export const makeUpdateUser =
  (deps: IdentityChangeDeps) =>
  (caller: Caller, id: string, changes: UserChanges, requestId: string): Promise<AdminUser> =>
    inTransactionWithIdentity(deps, async ({ users, audit }, steps) => {
      const now = deps.now?.() ?? new Date();
      // Admins first, in id order, then the user: every such transaction locks in one order.
      const touchesRole = changes.role !== undefined || changes.status !== undefined;
      const activeAdmins = touchesRole ? await users.lockActiveAdmins() : [];
      // A person's own role as it is now, after any change that held those rows: another admin
      // may have demoted or disabled them while this request waited (the access check ran before
      // the wait), and two admins must not disable or demote each other at once.
      if (touchesRole && caller.kind === 'user' && !activeAdmins.includes(caller.userId))
        throw new NoLongerAdminError();
      const before = await users.get(id, now);
      if (!before) throw new AdminUserNotFoundError();

      const role = changes.role !== undefined && changes.role !== before.role ? changes.role : undefined;
      const status =
        changes.status !== undefined && changes.status !== before.status ? changes.status : undefined;
      // The user's own quota before (null: the role's default) and the new one, when it differs.
      const ownQuota = before.quotaIsDefault ? null : before.monthlyTokens;
      const monthlyTokens =
        changes.monthlyTokens !== undefined && changes.monthlyTokens !== ownQuota
          ? changes.monthlyTokens
          : undefined;

      if (id === caller.userId && role !== undefined) throw new SelfChangeError('demote');
      if (id === caller.userId && status === 'disabled') throw new SelfChangeError('disable');
      const losesAdmin =
        before.role === 'admins' &&
        before.status === 'active' &&
        (role !== undefined || status === 'disabled');
      if (losesAdmin && !activeAdmins.some((admin) => admin !== id)) throw new LastAdminError();
      if (role === undefined && status === undefined && monthlyTokens === undefined) return before;

      const record = (action: string, field: string, from: unknown, to: unknown) =>
        audit.record({
          actorId: caller.userId,
          action,
          targetType: 'user',
          targetId: id,
          requestId,
          details: { before: { [field]: from }, after: { [field]: to } },
        });
      if (role !== undefined) await record('user.role-change', 'role', before.role, role);
      if (status !== undefined)
        await record(status === 'disabled' ? 'user.disable' : 'user.enable', 'status', before.status, status);
      if (monthlyTokens !== undefined)
        await record('user.quota-change', 'monthlyTokens', ownQuota, monthlyTokens);

      // Service accounts exist only here: their role is read from the database.
      if (before.kind === 'user') {
        const username = before.email;
        const { identity } = deps;
        if (role !== undefined) {
          const old = before.role;
          if (old)
            await steps.run(
              'remove from group',
              () => identity.removeFromGroup(username, old),
              () => identity.addToGroup(username, old),
            );
          await steps.run(
            'add to group',
            () => identity.addToGroup(username, role),
            () => identity.removeFromGroup(username, role),
          );
        }
        // `users.status` alone disables: Cognito's own flag stays on, because a user disabled in
        // Cognito answers "User is disabled." to any password, which tells anyone the account
        // exists. Our triggers refuse a disabled user after the password check instead, and the
        // API refuses their access tokens at once. Their refresh tokens go too.
        // A user gone from Cognito (deleted in the console) has no refresh token left to revoke
        // and cannot sign in: the disable still holds, so that their access tokens are refused and
        // they can be erased later (as the erasure counts a user Cognito no longer has as deleted).
        if (status === 'disabled')
          await steps.run('sign out', async () => {
            try {
              await identity.signOut(username);
            } catch (error) {
              if (!(error instanceof IdentityMissingError)) throw error;
            }
          });
        // Turns back on a user disabled in Cognito by hand (or by an earlier version); a no-op
        // otherwise, so nothing to undo.
        if (status === 'active') await steps.run('enable', () => identity.enableUser(username));
      }
      // The change last, after Cognito's calls: a role or status change records the revocation's
      // instant in the same statement (the row stays locked from the read above), so a token
      // refreshed while they ran (its claims read from the role still committed) is refused too.
      // The statement answers the user as they are now: the row is read once per request.
      const after = await users.update(id, { role, status, monthlyTokens }, now);
      if (!after) throw new AdminUserNotFoundError();
      return after;
    });
