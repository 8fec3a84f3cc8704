import { describe, expect, it } from 'vitest';
import { fakeAdminWorld } from '#test/support/fakes/admin';
import { AdminUserNotFoundError, ServiceAccountError } from '../domain/admin-user';
import { makeSignOutUser } from './sign-out-user';

const { caller } = fakeAdminWorld();

function setUp() {
  const world = fakeAdminWorld();
  return { ...world, signOut: makeSignOutUser(world.deps) };
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
