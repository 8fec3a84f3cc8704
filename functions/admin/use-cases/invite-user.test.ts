import { fakeAuditLog } from '#test/support/fakes/audit-log';
import { describe, expect, it } from 'vitest';
import {
  adminUser,
  fakeAdminTransaction,
  fakeIdentityProvider,
  fakeUserAdmin,
} from '#test/support/fakes/admin';
import { EmailTakenError } from '../domain/admin-user';
import { makeInviteUser } from './invite-user';

const caller = { userId: 'root', kind: 'user', role: 'admins' } as const;

function setUp() {
  const repo = fakeUserAdmin([adminUser({ id: 'root', email: 'root@example.test', role: 'admins' })]);
  const audit = fakeAuditLog();
  const tx = fakeAdminTransaction(repo, audit);
  const identity = fakeIdentityProvider();
  const drift: string[] = [];
  const invite = makeInviteUser({
    transaction: tx.transaction,
    identity: identity.provider,
    reportDrift: ({ step }) => drift.push(step),
  });
  return { repo, audit, tx, identity, drift, invite };
}

describe('inviteUser', () => {
  it('creates the Cognito user in the role group, the row with its sub, and the audit event', async () => {
    // Prepare
    const { repo, audit, identity, invite } = setUp();

    // Act
    const user = await invite(caller, { email: ' New@Example.TEST ', role: 'auditors' }, 'req-1');

    // Assess
    const cognito = identity.users.get('new@example.test');
    expect(user).toMatchObject({
      id: cognito?.id,
      email: 'new@example.test',
      displayName: 'new',
      role: 'auditors',
      status: 'active',
      quotaIsDefault: true,
    });
    expect(repo.rows.has(user.id)).toBe(true);
    expect([...(cognito?.groups ?? [])]).toEqual(['auditors']);
    expect(audit.events).toEqual([
      {
        actorId: 'root',
        action: 'user.invite',
        targetType: 'user',
        targetId: user.id,
        requestId: 'req-1',
        details: {
          after: { role: 'auditors', status: 'active', monthlyTokens: null },
        },
      },
    ]);
  });

  it('refuses an e-mail already in use (any case) before calling Cognito', async () => {
    const { identity, invite } = setUp();
    await expect(
      invite(caller, { email: 'ROOT@example.test', role: 'members' }, 'req-2'),
    ).rejects.toBeInstanceOf(EmailTakenError);
    expect(identity.calls).toEqual([]);
  });

  it('refuses an e-mail Cognito holds for someone who has signed in, and writes nothing', async () => {
    const { repo, audit, identity, invite } = setUp();
    const ghost = identity.add('ghost@example.test', { role: 'admins' });
    await expect(
      invite(caller, { email: 'ghost@example.test', role: 'members' }, 'req-3'),
    ).rejects.toBeInstanceOf(EmailTakenError);
    expect(repo.rows.size).toBe(1);
    expect(audit.events).toEqual([]);
    expect([...ghost.groups]).toEqual(['admins']);
    expect(ghost.invitations).toBe(1);
  });

  it('refuses an unclaimed address that was disabled in Cognito, and changes nothing there', async () => {
    const { repo, identity, invite } = setUp();
    const disabled = identity.add('off@example.test', { signedIn: false, enabled: false });
    await expect(
      invite(caller, { email: 'off@example.test', role: 'members' }, 'req-3b'),
    ).rejects.toBeInstanceOf(EmailTakenError);
    expect(repo.rows.size).toBe(1);
    expect(identity.calls).toEqual(['createUser off@example.test', 'findUnclaimed off@example.test']);
    expect(disabled.invitations).toBe(1);
  });

  it('takes over a user an unfinished invitation left in Cognito: its sub, the role as its only group, a new invitation', async () => {
    // Prepare: an earlier invitation as admin created the user and put it in its group, then
    // failed without undoing it (never signed in, no row).
    const { repo, audit, identity, invite } = setUp();
    const left = identity.add('left@example.test', { signedIn: false, role: 'admins' });

    // Act
    const user = await invite(caller, { email: 'Left@example.test', role: 'members' }, 'req-7');

    // Assess
    expect(user).toMatchObject({
      id: left.id,
      email: 'left@example.test',
      role: 'members',
      status: 'active',
    });
    expect(repo.rows.has(left.id)).toBe(true);
    expect([...left.groups]).toEqual(['members']);
    expect(left.invitations).toBe(2);
    expect(identity.calls).toEqual([
      'createUser left@example.test',
      'findUnclaimed left@example.test',
      'removeFromGroup left@example.test admins',
      'addToGroup left@example.test members',
      'resendInvitation left@example.test',
    ]);
    expect(audit.events).toEqual([
      {
        actorId: 'root',
        action: 'user.invite',
        targetType: 'user',
        targetId: left.id,
        requestId: 'req-7',
        details: {
          after: { role: 'members', status: 'active', monthlyTokens: null },
          identity: 'unclaimed',
        },
      },
    ]);
  });

  it('holds the address before anything else, so two invitations of it run one after the other', async () => {
    const { repo, identity, invite } = setUp();
    identity.failing.add('createUser');
    await expect(invite(caller, { email: ' Held@Example.test', role: 'members' }, 'req-8')).rejects.toThrow();
    expect(repo.held).toEqual(['held@example.test']);
  });

  it('keeps an unclaimed user when the take-over does not commit, and the next invitation takes it over', async () => {
    // Prepare
    const { repo, audit, tx, identity, drift, invite } = setUp();
    const left = identity.add('left@example.test', { signedIn: false, role: 'members' });
    tx.state.commitFails = true;

    // Act
    const failed = await invite(caller, { email: 'left@example.test', role: 'members' }, 'req-9').catch(
      (e: unknown) => e,
    );
    tx.state.commitFails = false;
    const user = await invite(caller, { email: 'left@example.test', role: 'members' }, 'req-10');

    // Assess: nothing deleted (not a user this invitation created), no drift to report.
    expect(String(failed)).toMatch(/could not commit/);
    expect(identity.calls).not.toContain('deleteUser left@example.test');
    expect(user.id).toBe(left.id);
    expect(left.invitations).toBe(3);
    expect(repo.rows.has(left.id)).toBe(true);
    expect(audit.events.map((e) => e.requestId)).toEqual(['req-10']);
    expect(drift).toEqual([]);
  });

  it('refuses when the unclaimed user signs in before the invitation is sent again', async () => {
    const { repo, audit, identity, invite } = setUp();
    const left = identity.add('left@example.test', { signedIn: false });
    const find = identity.provider.findUnclaimed.bind(identity.provider);
    identity.provider.findUnclaimed = async (email) => {
      const found = await find(email);
      left.signedIn = true;
      return found;
    };

    await expect(
      invite(caller, { email: 'left@example.test', role: 'members' }, 'req-11'),
    ).rejects.toBeInstanceOf(EmailTakenError);
    expect(repo.rows.has(left.id)).toBe(false);
    expect(audit.events).toEqual([]);
  });

  it('deletes the created Cognito user when adding it to its group fails', async () => {
    const { repo, identity, invite } = setUp();
    identity.failing.add('addToGroup');

    await expect(invite(caller, { email: 'new@example.test', role: 'members' }, 'req-4')).rejects.toThrow();

    expect(identity.users.has('new@example.test')).toBe(false);
    expect(repo.rows.size).toBe(1);
  });

  it('deletes the created Cognito user when the commit fails', async () => {
    const { repo, audit, tx, identity, drift, invite } = setUp();
    tx.state.commitFails = true;

    await expect(invite(caller, { email: 'new@example.test', role: 'members' }, 'req-5')).rejects.toThrow(
      'could not commit',
    );

    expect(identity.users.has('new@example.test')).toBe(false);
    expect(repo.rows.size).toBe(1);
    expect(audit.events).toEqual([]);
    expect(drift).toEqual([]);
  });

  it('reports drift when the created user cannot be deleted again', async () => {
    const { tx, identity, drift, invite } = setUp();
    tx.state.commitFails = true;
    identity.failing.add('deleteUser');

    await expect(invite(caller, { email: 'new@example.test', role: 'members' }, 'req-6')).rejects.toThrow(
      'could not commit',
    );
    expect(drift).toEqual(['create user']);
  });
});
