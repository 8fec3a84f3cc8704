import { describe, expect, it } from 'vitest';
import { fakeAdminWorld } from '#test/support/fakes/admin';
import { AdminUserNotFoundError } from '../domain/admin-user';
import { makeUnlockUser } from './unlock-user';

const { caller } = fakeAdminWorld();

function setUp() {
  const world = fakeAdminWorld();
  return { ...world, unlock: makeUnlockUser(world.deps) };
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
