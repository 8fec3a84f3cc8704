import { fakeAuditLog } from '#test/support/fakes/audit-log';
import { describe, expect, it } from 'vitest';
import {
  adminUser,
  fakeAdminTransaction,
  fakeIdentityProvider,
  fakeUserAdmin,
} from '#test/support/fakes/admin';
import {
  AdminUserNotFoundError,
  LastAdminError,
  NoLongerAdminError,
  SelfChangeError,
  type AdminUser,
} from '../domain/admin-user';
import { makeUpdateUser } from './update-user';

const root = adminUser({ id: 'root', email: 'root@example.test', role: 'admins' });
const ada = adminUser({ id: 'ada', email: 'ada@example.test', role: 'members' });
const caller = { userId: 'root', kind: 'user', role: 'admins' } as const;

function setUp(users: AdminUser[] = [root, ada]) {
  const repo = fakeUserAdmin(users);
  const audit = fakeAuditLog();
  const tx = fakeAdminTransaction(repo, audit);
  const identity = fakeIdentityProvider();
  for (const u of users) if (u.kind === 'user') identity.add(u.email, { id: u.id, role: u.role });
  const drift: { step: string; error: unknown }[] = [];
  const update = makeUpdateUser({
    transaction: tx.transaction,
    identity: identity.provider,
    reportDrift: (problem) => drift.push(problem),
  });
  return { repo, audit, tx, identity, drift, update };
}

describe('updateUser', () => {
  it('changes the role in the database and the Cognito groups, and audits before and after', async () => {
    // Prepare
    const { repo, audit, identity, update } = setUp();

    // Act
    const after = await update(caller, 'ada', { role: 'auditors' }, 'req-1');

    // Assess
    expect(after.role).toBe('auditors');
    expect(repo.rows.get('ada')?.role).toBe('auditors');
    expect([...(identity.users.get('ada@example.test')?.groups ?? [])]).toEqual(['auditors']);
    expect(audit.events).toEqual([
      {
        actorId: 'root',
        action: 'user.role-change',
        targetType: 'user',
        targetId: 'ada',
        requestId: 'req-1',
        details: { before: { role: 'members' }, after: { role: 'auditors' } },
      },
    ]);
  });

  it('disables a user in the database only, signs them out everywhere, and audits it', async () => {
    const { repo, audit, identity, update } = setUp();

    await update(caller, 'ada', { status: 'disabled' }, 'req-2');

    expect(repo.rows.get('ada')?.status).toBe('disabled');
    // Cognito's flag stays on: a user disabled there answers "User is disabled." to any password.
    expect(identity.users.get('ada@example.test')?.enabled).toBe(true);
    expect(identity.calls).toEqual(['signOut ada@example.test']);
    expect(identity.signedOut).toEqual(['ada@example.test']);
    expect(audit.events.map((e) => e.action)).toEqual(['user.disable']);
  });

  it('enables a disabled user again', async () => {
    const { repo, identity, update } = setUp([root, { ...ada, status: 'disabled' }]);
    const entry = identity.users.get('ada@example.test');
    if (entry) entry.enabled = false;

    const after = await update(caller, 'ada', { status: 'active' }, 'req-3');

    expect(after.status).toBe('active');
    expect(repo.rows.get('ada')?.status).toBe('active');
    expect(identity.users.get('ada@example.test')?.enabled).toBe(true);
  });

  it('sets the quota without calling Cognito', async () => {
    const { audit, identity, update } = setUp();

    const after = await update(caller, 'ada', { monthlyTokens: 5000 }, 'req-4');

    expect(after).toMatchObject({ monthlyTokens: 5000, quotaIsDefault: false });
    expect(identity.calls).toEqual([]);
    // before: null, the role's default applied.
    expect(audit.events[0]).toMatchObject({
      action: 'user.quota-change',
      details: { before: { monthlyTokens: null }, after: { monthlyTokens: 5000 } },
    });
  });

  it("clears a user's own quota back to the role default (null), and audits it", async () => {
    const { audit, update } = setUp();
    await update(caller, 'ada', { monthlyTokens: 5000 }, 'req-4');

    const after = await update(caller, 'ada', { monthlyTokens: null }, 'req-5');

    expect(after).toMatchObject({ monthlyTokens: 200_000, quotaIsDefault: true });
    expect(audit.events[1]).toMatchObject({
      action: 'user.quota-change',
      details: { before: { monthlyTokens: 5000 }, after: { monthlyTokens: null } },
    });
  });

  it('changes and audits nothing when the quota is cleared but was the default already', async () => {
    const { audit, update } = setUp();

    const after = await update(caller, 'ada', { monthlyTokens: null }, 'req-6');

    expect(after.quotaIsDefault).toBe(true);
    expect(audit.events).toEqual([]);
  });

  it('sets a quota equal to the role default as the user own (it no longer follows the role)', async () => {
    const { audit, update } = setUp();

    const after = await update(caller, 'ada', { monthlyTokens: 200_000 }, 'req-7');

    expect(after).toMatchObject({ monthlyTokens: 200_000, quotaIsDefault: false });
    expect(audit.events).toHaveLength(1);
  });

  it('changes nothing and audits nothing when the values are already set', async () => {
    const { audit, identity, update } = setUp();

    const after = await update(caller, 'ada', { role: 'members', status: 'active' }, 'req-5');

    expect(after.role).toBe('members');
    expect(identity.calls).toEqual([]);
    expect(audit.events).toEqual([]);
  });

  it('changes a service account in the database only (it has no Cognito user)', async () => {
    const robot = adminUser({ id: 'robot-client', kind: 'service', role: 'members' });
    const { repo, identity, update } = setUp([root, robot]);

    await update(caller, 'robot-client', { role: 'auditors', status: 'disabled' }, 'req-6');

    expect(repo.rows.get('robot-client')).toMatchObject({ role: 'auditors', status: 'disabled' });
    expect(identity.calls).toEqual([]);
  });

  it('answers not found for an unknown user', async () => {
    const { update } = setUp();
    await expect(update(caller, 'nobody', { role: 'admins' }, 'req-7')).rejects.toBeInstanceOf(
      AdminUserNotFoundError,
    );
  });

  it.each([
    [{ role: 'members' as const }, 'demote'],
    [{ status: 'disabled' as const }, 'disable'],
  ])('refuses an admin who would %j themself', async (changes, what) => {
    const other = adminUser({ id: 'other', role: 'admins' });
    const { repo, audit, identity, update } = setUp([root, other]);

    await expect(update(caller, 'root', changes, 'req-8')).rejects.toThrow(
      new SelfChangeError(what as 'demote'),
    );
    expect(repo.rows.get('root')).toEqual(root);
    expect(audit.events).toEqual([]);
    expect(identity.calls).toEqual([]);
  });

  it('lets an admin change their own quota', async () => {
    const { update } = setUp();
    expect((await update(caller, 'root', { monthlyTokens: 1 }, 'req-9')).monthlyTokens).toBe(1);
  });

  it('refuses a role or status change by a person who is no longer an active admin (403), changing nothing', async () => {
    // Prepare: demoted (or disabled) by another admin while the request waited for the rows
    const demoted = adminUser({ id: 'demoted', email: 'demoted@example.test', role: 'members' });
    const disabled = adminUser({ id: 'off', email: 'off@example.test', role: 'admins', status: 'disabled' });
    const { repo, audit, update } = setUp([root, ada, demoted, disabled]);

    // Act and assess
    for (const who of [demoted, disabled]) {
      const asThem = { userId: who.id, kind: 'user', role: 'admins' } as const;
      await expect(update(asThem, 'root', { status: 'disabled' }, 'req-20')).rejects.toBeInstanceOf(
        NoLongerAdminError,
      );
      await expect(update(asThem, 'ada', { role: 'admins' }, 'req-21')).rejects.toBeInstanceOf(
        NoLongerAdminError,
      );
    }
    expect(repo.rows.get('root')).toMatchObject({ role: 'admins', status: 'active' });
    expect(repo.rows.get('ada')?.role).toBe('members');
    expect(audit.events).toEqual([]);
  });

  it('keeps the last active admin (a machine client acting as admin cannot remove them either)', async () => {
    const { repo, update } = setUp();
    const robot = { userId: 'robot', kind: 'service', role: 'admins' } as const;

    await expect(update(robot, 'root', { role: 'members' }, 'req-10')).rejects.toBeInstanceOf(LastAdminError);
    await expect(update(robot, 'root', { status: 'disabled' }, 'req-11')).rejects.toBeInstanceOf(
      LastAdminError,
    );
    expect(repo.rows.get('root')?.role).toBe('admins');
  });

  it('keeps the last admin rule when the same request also sets or clears the quota, changing nothing', async () => {
    const { repo, audit, update } = setUp([
      adminUser({ ...root, monthlyTokens: 9, quotaIsDefault: false }),
      ada,
    ]);
    const robot = { userId: 'robot', kind: 'service', role: 'admins' } as const;

    await expect(
      update(robot, 'root', { role: 'members', monthlyTokens: null }, 'req-10'),
    ).rejects.toBeInstanceOf(LastAdminError);
    await expect(
      update(robot, 'root', { status: 'disabled', monthlyTokens: 5 }, 'req-11'),
    ).rejects.toBeInstanceOf(LastAdminError);
    expect(repo.rows.get('root')).toMatchObject({ role: 'admins', monthlyTokens: 9, quotaIsDefault: false });
    expect(audit.events).toEqual([]);
  });

  it('gives a user in no group a role: only adds them to its Cognito group, and audits from null', async () => {
    // Prepare
    const newcomer = adminUser({ id: 'new', email: 'new@example.test', role: null });
    const { repo, audit, identity, update } = setUp([root, newcomer]);

    // Act
    const after = await update(caller, 'new', { role: 'members' }, 'req-20');

    // Assess
    expect(after.role).toBe('members');
    expect(repo.rows.get('new')?.role).toBe('members');
    expect(identity.calls).toEqual(['addToGroup new@example.test members']);
    expect(audit.events).toEqual([
      {
        actorId: 'root',
        action: 'user.role-change',
        targetType: 'user',
        targetId: 'new',
        requestId: 'req-20',
        details: { before: { role: null }, after: { role: 'members' } },
      },
    ]);
  });

  it('demotes an admin when another active admin remains', async () => {
    const other = adminUser({ id: 'other', email: 'other@example.test', role: 'admins' });
    const { update } = setUp([root, other]);
    expect((await update(caller, 'other', { role: 'members' }, 'req-12')).role).toBe('members');
  });

  describe('drift between Cognito and the database', () => {
    it('rolls the database and the audit event back when Cognito refuses, and undoes earlier Cognito steps', async () => {
      // Prepare: removing from the old group works, adding to the new one fails.
      const { repo, audit, identity, drift, update } = setUp();
      identity.failing.add('addToGroup');

      // Act
      await expect(update(caller, 'ada', { role: 'auditors' }, 'req-13')).rejects.toThrow(
        'identity provider: addToGroup failed',
      );

      // Assess: the database is as before, no audit event, and the group removal was undone
      // (whose re-add fails too here, so it is reported as drift).
      expect(repo.rows.get('ada')?.role).toBe('members');
      expect(audit.events).toEqual([]);
      expect(identity.calls).toEqual([
        'removeFromGroup ada@example.test members',
        'addToGroup ada@example.test auditors',
        'addToGroup ada@example.test members',
      ]);
      expect(drift.map((d) => d.step)).toEqual(['remove from group']);
    });

    it('leaves the database unchanged when Cognito cannot sign the disabled user out', async () => {
      const { repo, audit, identity, update } = setUp();
      identity.failing.add('signOut');

      await expect(update(caller, 'ada', { status: 'disabled' }, 'req-14')).rejects.toThrow();

      expect(repo.rows.get('ada')?.status).toBe('active');
      expect(audit.events).toEqual([]);
    });

    it('undoes the Cognito change when the commit fails after it', async () => {
      const { repo, audit, tx, identity, drift, update } = setUp();
      tx.state.commitFails = true;

      await expect(update(caller, 'ada', { role: 'auditors', status: 'disabled' }, 'req-15')).rejects.toThrow(
        'could not commit',
      );

      expect(repo.rows.get('ada')).toMatchObject({ role: 'members', status: 'active' });
      expect(audit.events).toEqual([]);
      const cognito = identity.users.get('ada@example.test');
      expect(cognito?.enabled).toBe(true);
      expect([...(cognito?.groups ?? [])]).toEqual(['members']);
      expect(drift).toEqual([]);
    });

    it('reports drift when an undo fails, and still answers with the original error', async () => {
      const { identity, drift, update } = setUp();
      identity.failing.add('addToGroup');

      await expect(update(caller, 'ada', { role: 'auditors' }, 'req-16')).rejects.toThrow(
        'identity provider: addToGroup failed',
      );

      expect(drift).toHaveLength(1);
      expect(drift[0]?.step).toBe('remove from group');
    });

    it('calls Cognito only after the audit event is written (an audit failure calls nothing)', async () => {
      const { audit, identity, update } = setUp();
      audit.state.failing = true;

      await expect(update(caller, 'ada', { role: 'auditors' }, 'req-17')).rejects.toThrow(
        'audit log unavailable',
      );
      expect(identity.calls).toEqual([]);
    });
  });
});
