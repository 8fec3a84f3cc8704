import { describe, expect, it } from 'vitest';
import { fakeAdminWorld } from '#test/support/fakes/admin';
import { AdminUserNotFoundError, ServiceAccountError } from '../domain/admin-user';
import { makeResetUserMfa } from './reset-user-mfa';

const { caller } = fakeAdminWorld();

function setUp() {
  const world = fakeAdminWorld();
  return { ...world, resetMfa: makeResetUserMfa(world.deps) };
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

  it('leaves TOTP off in Cognito when the commit fails for a user who had it off already', async () => {
    // Prepare
    const { repo, tx, identity, resetMfa } = setUp();
    const ada = repo.rows.get('ada');
    const cognito = identity.users.get('ada@example.test');
    if (!ada || !cognito) throw new Error('the admin world has ada');
    repo.rows.set('ada', { ...ada, mfaEnabled: false });
    cognito.totp = false;
    tx.state.commitFails = true;

    // Act
    const error = await resetMfa(caller, 'ada', 'req-12').catch((e: unknown) => e);

    // Assess: nothing to restore, so TOTP is never turned on.
    expect(String(error)).toMatch('could not commit');
    expect(identity.calls).toEqual(['setTotpMfa ada@example.test false']);
    expect(identity.users.get('ada@example.test')?.totp).toBe(false);
    expect(repo.rows.get('ada')?.mfaEnabled).toBe(false);
  });

  it('refuses service accounts and unknown users', async () => {
    const { resetMfa } = setUp();
    await expect(resetMfa(caller, 'robot', 'req-10')).rejects.toBeInstanceOf(ServiceAccountError);
    await expect(resetMfa(caller, 'nobody', 'req-11')).rejects.toBeInstanceOf(AdminUserNotFoundError);
  });
});
