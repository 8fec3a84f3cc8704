import { fakeAuditLog } from '#test/support/fakes/audit-log';
import { describe, expect, it } from 'vitest';
import {
  adminUser,
  fakeAdminTransaction,
  fakeIdentityProvider,
  fakeUserAdmin,
} from '#test/support/fakes/admin';
import { AdminUserNotFoundError } from '../domain/admin-user';
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

describe('unlockUser', () => {
  it('forgets the failed sign-ins of the e-mail and audits what the lock was', async () => {
    const { repo, audit, unlock } = setUp();
    repo.attempts.set('ada@example.test', '2026-03-10T12:15:00.000Z');

    await unlock(caller, 'ada', 'req-1');

    expect(repo.attempts.has('ada@example.test')).toBe(false);
    expect(audit.events).toEqual([
      {
        actorId: 'root',
        action: 'user.unlock',
        targetType: 'user',
        targetId: 'ada',
        requestId: 'req-1',
        details: {
          before: { locked: true, lockedUntil: '2026-03-10T12:15:00.000Z' },
          after: { locked: false },
        },
      },
    ]);
  });

  it('answers not found for an unknown user', async () => {
    const { unlock } = setUp();
    await expect(unlock(caller, 'nobody', 'req-2')).rejects.toBeInstanceOf(AdminUserNotFoundError);
  });
});
