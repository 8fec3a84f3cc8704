import type { Caller } from '#shared/domain/caller';
import { displayNameFor } from '#shared/domain/display-name';
import { isRole, type Role } from '#shared/domain/roles';
import {
  AdminUserNotFoundError,
  EmailTakenError,
  InvitationAcceptedError,
  type AdminUser,
} from '../domain/admin-user';
import type { IdentityProvider, UnclaimedIdentity } from '../ports/identity-provider';
import {
  inTransactionWithIdentity,
  type IdentityChangeDeps,
  type IdentitySteps,
} from './identity-transaction';

export interface Invitation {
  readonly email: string;
  readonly role: Role;
}

/**
 * Invites a person: the identity provider creates the user (and sends the invitation) and puts
 * them in their role's group, then their row and the audit event are written, all before one
 * commit. When anything after the creation fails, the created user is deleted again.
 *
 * An address the identity provider already holds for nobody (`findUnclaimed`: never signed in,
 * no row here) is taken over instead of refused: an invitation that did not finish leaves such a
 * user, and refusing it would leave the address impossible to invite. The row is written first
 * (it claims the address), the groups are set to the role, and the invitation is sent again with
 * a new temporary password. Nothing of that user is deleted when this fails: it stays unclaimed,
 * for the next try. Invitations of one address run one at a time (`holdEmail`).
 */
export const makeInviteUser =
  (deps: IdentityChangeDeps) =>
  (caller: Caller, invitation: Invitation, requestId: string): Promise<AdminUser> =>
    inTransactionWithIdentity(deps, async ({ users, audit }, steps) => {
      const email = invitation.email.trim().toLowerCase();
      const { role } = invitation;
      if ((await users.holdEmail(email)).taken) throw new EmailTakenError();
      const { identity } = deps;
      const { id, unclaimed } = await createOrFindUnclaimed(identity, steps, email);
      const row = { id, email, displayName: displayNameFor(email), role };
      if (unclaimed) {
        await users.insert(row);
        await takeOver(identity, email, role, unclaimed);
      } else {
        await steps.run('add to group', () => identity.addToGroup(email, role));
        await users.insert(row);
      }
      await audit.record({
        actorId: caller.userId,
        action: 'user.invite',
        targetType: 'user',
        targetId: id,
        requestId,
        // monthlyTokens null: the role's default applies until an admin sets the user's own. No
        // address: the trail is append-only and would keep it past an erasure; the target's id
        // names them, and the audit listing gives their address while they exist.
        details: {
          after: { role, status: 'active', monthlyTokens: null },
          ...(unclaimed && { identity: 'unclaimed' }),
        },
      });
      const created = await users.get(id, deps.now?.() ?? new Date());
      if (!created) throw new AdminUserNotFoundError();
      return created;
    });

/** A new user (deleted again if the transaction fails), or the unclaimed one under the address. */
async function createOrFindUnclaimed(
  identity: IdentityProvider,
  steps: IdentitySteps,
  email: string,
): Promise<{ readonly id: string; readonly unclaimed?: UnclaimedIdentity }> {
  try {
    return await steps.run(
      'create user',
      () => identity.createUser(email),
      () => identity.deleteUser(email),
    );
  } catch (error) {
    if (!(error instanceof EmailTakenError)) throw error;
    const unclaimed = await identity.findUnclaimed(email);
    if (!unclaimed) throw error;
    return { id: unclaimed.id, unclaimed };
  }
}

/**
 * Gives an unclaimed user exactly the role's group (groups that are not Parley roles are left
 * alone) and a new invitation. None of it is undone if the transaction fails: the user stays
 * unclaimed, and the next invitation of the address sets the same again.
 */
async function takeOver(
  identity: IdentityProvider,
  email: string,
  role: Role,
  unclaimed: UnclaimedIdentity,
): Promise<void> {
  for (const group of unclaimed.groups)
    if (isRole(group) && group !== role) await identity.removeFromGroup(email, group);
  if (!unclaimed.groups.includes(role)) await identity.addToGroup(email, role);
  try {
    await identity.resendInvitation(email);
  } catch (error) {
    // They signed in since they were found: somebody's account now, not an unclaimed one.
    if (error instanceof InvitationAcceptedError) throw new EmailTakenError();
    throw error;
  }
}
