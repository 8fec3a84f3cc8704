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

describe('signOutUser', () => {
  it('signs the user out in Cognito, refuses their access tokens from now on, and audits it', async () => {
    const { audit, identity, repo, signOut } = setUp();
    await signOut(caller, 'ada', 'req-3');
    expect(identity.signedOut).toEqual(['ada@example.test']);
    expect(repo.revoked).toEqual(['ada']);
    expect(audit.events.map((e) => e.action)).toEqual(['user.sign-out']);
  });

  it('writes no audit event when Cognito fails', async () => {
    const { audit, identity, signOut } = setUp();
    identity.failing.add('signOut');
    await expect(signOut(caller, 'ada', 'req-4')).rejects.toThrow();
    expect(audit.events).toEqual([]);
  });

  it('refuses service accounts and unknown users', async () => {
    const { signOut } = setUp();
    await expect(signOut(caller, 'robot', 'req-5')).rejects.toBeInstanceOf(ServiceAccountError);
    await expect(signOut(caller, 'nobody', 'req-6')).rejects.toBeInstanceOf(AdminUserNotFoundError);
  });
});
