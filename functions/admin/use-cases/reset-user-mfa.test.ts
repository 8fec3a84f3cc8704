import { fakeAuditLog } from '#test/support/fakes/audit-log';
import { describe, expect, it } from 'vitest';
import {
  adminUser,
  fakeAdminTransaction,
  fakeIdentityProvider,
  fakeUserAdmin,
} from '#test/support/fakes/admin';
import { AdminUserNotFoundError, ServiceAccountError } from '../domain/admin-user';
import { makeResetUserMfa } from './reset-user-mfa';
import { makeSignOutUser } from './sign-out-user';
import { makeUnlockUser } from './unlock-user';

const caller = { userId: 'root', kind: 'user', role: 'admins' } as const;
const now = new Date('2026-03-10T12:00:00.000Z');
const ada = adminUser({ id: 'ada', email: 'ada@example.test', mfaEnabled: true });
const robot = adminUser({ id: 'robot', kind: 'service' });

function setUp() {
  const repo = fakeUserAdmin([ada, robot]);
  const audit = fakeAuditLog();
  const tx = fakeAdminTransaction(repo, audit);
  const identity = fakeIdentityProvider();
  identity.add('ada@example.test', { id: 'ada', role: 'members', totp: true });
  const deps = { transaction: tx.transaction, identity: identity.provider, now: () => now };
  return {
    repo,
    audit,
    tx,
    identity,
    unlock: makeUnlockUser(deps),
    signOut: makeSignOutUser(deps),
    resetMfa: makeResetUserMfa(deps),
  };
}

describe('resetUserMfa', () => {
  it('turns TOTP off in Cognito and in the database, and audits it', async () => {
    const { repo, audit, identity, resetMfa } = setUp();

    await resetMfa(caller, 'ada', 'req-7');

    expect(repo.rows.get('ada')?.mfaEnabled).toBe(false);
    expect(identity.users.get('ada@example.test')?.totp).toBe(false);
    expect(audit.events[0]).toMatchObject({
      action: 'user.mfa-reset',
      details: { before: { mfaEnabled: true }, after: { mfaEnabled: false } },
    });
  });

  it('keeps MFA on in the database when Cognito fails', async () => {
    const { repo, audit, identity, resetMfa } = setUp();
    identity.failing.add('setTotpMfa');
    await expect(resetMfa(caller, 'ada', 'req-8')).rejects.toThrow();
    expect(repo.rows.get('ada')?.mfaEnabled).toBe(true);
    expect(audit.events).toEqual([]);
  });

  it('turns TOTP back on in Cognito when the commit fails', async () => {
    const { repo, tx, identity, resetMfa } = setUp();
    tx.state.commitFails = true;
    await expect(resetMfa(caller, 'ada', 'req-9')).rejects.toThrow('could not commit');
    expect(repo.rows.get('ada')?.mfaEnabled).toBe(true);
    expect(identity.users.get('ada@example.test')?.totp).toBe(true);
  });

  it('refuses service accounts and unknown users', async () => {
    const { resetMfa } = setUp();
    await expect(resetMfa(caller, 'robot', 'req-10')).rejects.toBeInstanceOf(ServiceAccountError);
    await expect(resetMfa(caller, 'nobody', 'req-11')).rejects.toBeInstanceOf(AdminUserNotFoundError);
  });
});
