import { describe, expect, it } from 'vitest';
import { fakeAdminWorld } from '#test/support/fakes/admin';
import {
  AdminUserNotFoundError,
  ErasureTooSoonError,
  NotDisabledError,
  SelfChangeError,
  ServiceAccountError,
} from '../domain/admin-user';
import { makeEraseUser } from './erase-user';

const NOW = new Date('2026-03-10T12:00:00.000Z');

/** The admin world with `ada` disabled at `disabledAt` (two hours before NOW unless told). */
function setUp(disabledAt = new Date(NOW.getTime() - 2 * 3_600_000)) {
  const world = fakeAdminWorld(NOW);
  const ada = world.repo.rows.get('ada');
  if (!ada) throw new Error('no ada');
  world.repo.rows.set('ada', { ...ada, status: 'disabled', disabledAt: disabledAt.toISOString() });
  world.repo.owned.set('ada', { conversations: 3, messages: 12 });
  return { ...world, erase: makeEraseUser(world.deps) };
}

describe('eraseUser', () => {
  it('deletes the Cognito user and the row with what is theirs, and audits the counts only', async () => {
    // Prepare
    const { audit, identity, repo, caller, erase } = setUp();

    // Act
    const erased = await erase(caller, 'ada', 'req-1');

    // Assess
    expect(erased).toEqual({ conversations: 3, messages: 12 });
    expect(repo.rows.has('ada')).toBe(false);
    expect(identity.users.has('ada@example.test')).toBe(false);
    expect(audit.events).toMatchObject([
      {
        actorId: 'root',
        action: 'user.erase',
        targetType: 'user',
        targetId: 'ada',
        requestId: 'req-1',
        details: { conversations: 3, messages: 12 },
      },
    ]);
    expect(JSON.stringify(audit.events)).not.toContain('ada@example.test');
  });

  it('erases nothing when Cognito fails, and finishes when Cognito no longer has the user', async () => {
    const { audit, identity, repo, caller, erase } = setUp();
    identity.failing.add('deleteUser');
    await expect(erase(caller, 'ada', 'req-2')).rejects.toThrow(/deleteUser failed/);
    expect(repo.rows.has('ada')).toBe(true);
    expect(audit.events).toEqual([]);

    identity.failing.delete('deleteUser');
    identity.users.delete('ada@example.test');
    await expect(erase(caller, 'ada', 'req-3')).resolves.toEqual({ conversations: 3, messages: 12 });
    expect(repo.rows.has('ada')).toBe(false);
  });

  it('refuses an active user, and one disabled less than an access token lives, naming when', async () => {
    const active = fakeAdminWorld(NOW);
    await expect(makeEraseUser(active.deps)(active.caller, 'ada', 'r')).rejects.toBeInstanceOf(
      NotDisabledError,
    );

    const { repo, caller, erase } = setUp(new Date(NOW.getTime() - 59 * 60_000));
    const refusal = erase(caller, 'ada', 'r');
    await expect(refusal).rejects.toBeInstanceOf(ErasureTooSoonError);
    await expect(refusal).rejects.toMatchObject({ status: 409 });
    await expect(refusal).rejects.toThrow(/from 2026-03-10 12:01 UTC\.$/);
    expect(repo.rows.has('ada')).toBe(true);
  });

  it('names the first whole minute at which erasing is allowed, never one that is still too soon', async () => {
    // Disabled at 11:01:42.5, so erasable at 12:01:42.5: "from 12:01" would be refused again.
    const { erase, caller } = setUp(new Date(NOW.getTime() - 58 * 60_000 - 17_500));
    const refusal = erase(caller, 'ada', 'r');
    await expect(refusal).rejects.toMatchObject({ status: 409 });
    // The text is checked with toThrow: a pattern under toMatchObject passed for any message here.
    await expect(refusal).rejects.toThrow(/from 2026-03-10 12:02 UTC\.$/);
  });

  it('erases a user disabled exactly an hour ago', async () => {
    const { caller, erase } = setUp(new Date(NOW.getTime() - 60 * 60_000));
    await expect(erase(caller, 'ada', 'r')).resolves.toBeDefined();
  });

  it('refuses yourself, service accounts and unknown users', async () => {
    const { caller, erase, repo } = setUp();
    const self = repo.rows.get('ada');
    if (!self) throw new Error('no ada');
    repo.rows.set('root', { ...self, id: 'root', email: 'root@example.test' });
    await expect(erase(caller, 'root', 'r')).rejects.toBeInstanceOf(SelfChangeError);
    await expect(erase(caller, 'robot', 'r')).rejects.toBeInstanceOf(ServiceAccountError);
    await expect(erase(caller, 'nobody', 'r')).rejects.toBeInstanceOf(AdminUserNotFoundError);
  });
});
