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
          after: { email: 'new@example.test', role: 'auditors', status: 'active', monthlyTokens: null },
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

  it('refuses an e-mail Cognito already knows, and writes nothing', async () => {
    const { repo, audit, identity, invite } = setUp();
    identity.add('ghost@example.test');
    await expect(
      invite(caller, { email: 'ghost@example.test', role: 'members' }, 'req-3'),
    ).rejects.toBeInstanceOf(EmailTakenError);
    expect(repo.rows.size).toBe(1);
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
