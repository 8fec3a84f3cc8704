import type { Caller } from '#shared/domain/caller';
import { displayNameFor } from '#shared/domain/display-name';
import type { Role } from '#shared/domain/roles';
import { AdminUserNotFoundError, EmailTakenError, type AdminUser } from '../domain/admin-user';
import { inTransactionWithIdentity, type IdentityChangeDeps } from './identity-transaction';

export interface Invitation {
  readonly email: string;
  readonly role: Role;
}

/**
 * Invites a person: the identity provider creates the user (and sends the invitation) and puts
 * them in their role's group, then their row and the audit event are written, all before one
 * commit. When anything after the creation fails, the created user is deleted again.
 */
export const makeInviteUser =
  (deps: IdentityChangeDeps) =>
  (caller: Caller, invitation: Invitation, requestId: string): Promise<AdminUser> =>
    inTransactionWithIdentity(deps, async ({ users, audit }, steps) => {
      const email = invitation.email.trim().toLowerCase();
      const { role } = invitation;
      if (await users.emailTaken(email)) throw new EmailTakenError();
      const { identity } = deps;
      const { id } = await steps.run(
        'create user',
        () => identity.createUser(email),
        () => identity.deleteUser(email),
      );
      await steps.run('add to group', () => identity.addToGroup(email, role));
      await users.insert({
        id,
        email,
        displayName: displayNameFor(email),
        role,
      });
      await audit.record({
        actorId: caller.userId,
        action: 'user.invite',
        targetType: 'user',
        targetId: id,
        requestId,
        // monthlyTokens null: the role's default applies until an admin sets the user's own.
        details: { after: { email, role, status: 'active', monthlyTokens: null } },
      });
      const created = await users.get(id, deps.now?.() ?? new Date());
      if (!created) throw new AdminUserNotFoundError();
      return created;
    });
