import { describe, expect, it } from 'vitest';

import { SIGN_IN_BLOCKED_MESSAGE, SignInBlockedError } from '../domain/sign-in';

import { makeCheckSignIn } from './check-sign-in';
import { makeCompleteSignIn, makeProvisionUser } from './complete-sign-in';
import { fakeAttempts, fakeEvents, fakeUsers } from '#test/support/fakes/auth';
import type { GroupRoles } from '../ports/group-roles';
import { makeResolveTokenGroups } from './resolve-token-groups';

/** These rows all hold a role (or none exists): nothing is ever stored from a group. */
const noGroupRoles: GroupRoles = { adopt: async () => false };

describe('completeSignIn', () => {
  it('resets the counter, provisions the row, notes the time of the sign-in and audits it', async () => {
    const attempts = fakeAttempts();
    const users = fakeUsers();
    const events = fakeEvents();
    const check = makeCheckSignIn({ attempts, users, events });
    for (let i = 0; i < 3; i++) await check({ username: 'Ada@example.com' });

    const at = new Date('2026-12-02T09:00:00.000Z');
    const user = await makeCompleteSignIn({ attempts, users, events, now: () => at })({
      sub: 'sub-1',
      email: 'Ada@example.com',
    });
    expect(users.signIns.get('sub-1')).toBe(at);

    expect(attempts.state.get('ada@example.com')?.failedCount).toBe(0);
    // No role: a group's is stored, audited, at token generation (resolve-token-groups.test.ts).
    expect(user).toEqual({ id: 'sub-1', email: 'Ada@example.com', role: null, status: 'active' });
    expect(events.audited).toEqual([
      { actorId: 'sub-1', action: 'auth.sign-in', targetType: 'user', targetId: 'sub-1' },
    ]);
  });

  it('refuses a disabled user: no reset of the counter, no sign-in audited', async () => {
    const attempts = fakeAttempts();
    const users = fakeUsers([{ id: 'sub-1', email: 'ada@example.com', role: 'members', status: 'disabled' }]);
    const events = fakeEvents();
    await makeCheckSignIn({ attempts, users, events })({ username: 'ada@example.com', sub: 'sub-1' });
    events.audited.length = 0;

    const error = await makeCompleteSignIn({ attempts, users, events })({
      sub: 'sub-1',
      email: 'ada@example.com',
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SignInBlockedError);
    expect((error as Error).message).toBe(SIGN_IN_BLOCKED_MESSAGE);
    expect(attempts.state.get('ada@example.com')?.failedCount).toBe(1);
    expect(events.audited).toEqual([]);
    expect(users.signIns.size).toBe(0);
  });
});

describe('provisionUser', () => {
  it('creates the row once and audits only the creation', async () => {
    const users = fakeUsers();
    const events = fakeEvents();
    const provision = makeProvisionUser({ users, events });
    await provision({ sub: 'sub-2', email: 'bob@example.com' });
    await provision({ sub: 'sub-2', email: 'bob@example.com' });
    expect(users.rows.size).toBe(1);
    expect(events.audited.map((e) => e.action)).toEqual(['user.provisioned']);
  });
});

describe('resolveTokenGroups', () => {
  it('puts exactly users.role in the token', async () => {
    const users = fakeUsers([{ id: 'sub-1', email: 'a@example.com', role: 'auditors', status: 'active' }]);
    const groups = await makeResolveTokenGroups({ users, roles: noGroupRoles })({
      sub: 'sub-1',
      email: undefined,
      groups: ['admins'],
    });
    expect(groups).toEqual(['auditors']);
  });

  it('uses the one role group of an unknown user, and refuses a disabled one', async () => {
    const users = fakeUsers([{ id: 'sub-9', email: 'x@example.com', role: 'admins', status: 'disabled' }]);
    const resolve = makeResolveTokenGroups({ users, roles: noGroupRoles });
    expect(await resolve({ sub: 'new', email: 'new@example.com', groups: ['members'] })).toEqual(['members']);
    await expect(resolve({ sub: 'sub-9', email: undefined, groups: [] })).rejects.toThrow('Account locked');
  });
});
