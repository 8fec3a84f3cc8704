import { describe, expect, it } from 'vitest';
import type { Role } from '#shared/domain/roles';
import { fakeUsers } from '#test/support/fakes/auth';
import { SignInBlockedError } from '../domain/sign-in';
import type { GroupRoles } from '../ports/group-roles';
import { makeResolveTokenGroups } from './resolve-token-groups';

/** Group roles stored on the fake users' rows, as the adapter does: only where the role is null. */
function fakeGroupRoles(users: ReturnType<typeof fakeUsers>) {
  const adopted: [string, Role][] = [];
  const roles: GroupRoles = {
    async adopt(id, role) {
      const row = users.rows.get(id);
      if (!row || row.role !== null) return false;
      users.rows.set(id, { ...row, role });
      adopted.push([id, role]);
      return true;
    },
  };
  return { roles, adopted };
}

describe('resolveTokenGroups', () => {
  it('puts exactly the stored role in the tokens, whatever groups Cognito holds', async () => {
    // Prepare
    const users = fakeUsers([{ id: 'ada', email: 'ada@example.test', role: 'auditors', status: 'active' }]);
    const { roles, adopted } = fakeGroupRoles(users);

    // Act
    const groups = await makeResolveTokenGroups({ users, roles })({
      sub: 'ada',
      email: undefined,
      groups: ['admins'],
    });

    // Assess
    expect(groups).toEqual(['auditors']);
    expect(adopted).toEqual([]);
  });

  it('falls back to the Cognito group of a user with no stored row, storing nothing', async () => {
    const users = fakeUsers();
    const { roles, adopted } = fakeGroupRoles(users);

    const groups = await makeResolveTokenGroups({ users, roles })({
      sub: 'new',
      email: 'new@example.test',
      groups: ['members'],
    });

    expect(groups).toEqual(['members']);
    expect(adopted).toEqual([]);
  });

  it("stores the one role group of a row without a role as the user's role", async () => {
    // Prepare: a person an operator put in `admins` in the console, their row without a role.
    const users = fakeUsers([{ id: 'ada', email: 'ada@example.test', role: null, status: 'active' }]);
    const { roles, adopted } = fakeGroupRoles(users);

    // Act
    const groups = await makeResolveTokenGroups({ users, roles })({
      sub: 'ada',
      email: 'ada@example.test',
      groups: ['admins'],
    });

    // Assess
    expect(groups).toEqual(['admins']);
    expect(adopted).toEqual([['ada', 'admins']]);
    expect(users.rows.get('ada')?.role).toBe('admins');
  });

  it('stores nothing when the groups name no role, or more than one', async () => {
    const users = fakeUsers([{ id: 'ada', email: 'ada@example.test', role: null, status: 'active' }]);
    const { roles, adopted } = fakeGroupRoles(users);
    const resolve = makeResolveTokenGroups({ users, roles });

    expect(await resolve({ sub: 'ada', email: undefined, groups: ['admins', 'members'] })).toEqual([]);
    expect(await resolve({ sub: 'ada', email: undefined, groups: ['testers'] })).toEqual([]);
    expect(adopted).toEqual([]);
  });

  it('stores nothing on a row found only by its e-mail (another identity)', async () => {
    const users = fakeUsers([{ id: 'old-sub', email: 'ada@example.test', role: null, status: 'active' }]);
    const { roles, adopted } = fakeGroupRoles(users);

    await makeResolveTokenGroups({ users, roles })({
      sub: 'new-sub',
      email: 'ada@example.test',
      groups: ['admins'],
    });

    expect(adopted).toEqual([]);
    expect(users.rows.get('old-sub')?.role).toBeNull();
  });

  it("never puts another identity's stored role in a token: a row found by e-mail alone gives none", async () => {
    // An identity with an admin's address (another case) but its own sub: the admin's role stays theirs.
    const users = fakeUsers([
      { id: 'admin-sub', email: 'ada@example.test', role: 'admins', status: 'active' },
    ]);
    const { roles, adopted } = fakeGroupRoles(users);

    const none = await makeResolveTokenGroups({ users, roles })({
      sub: 'new-sub',
      email: 'ADA@example.test',
      groups: [],
    });
    const own = await makeResolveTokenGroups({ users, roles })({
      sub: 'new-sub',
      email: 'ADA@example.test',
      groups: ['members'],
    });

    expect(none).toEqual([]);
    expect(own).toEqual(['members']);
    expect(adopted).toEqual([]);
  });

  it('answers the role stored meanwhile when an admin gave one before the group could be stored', async () => {
    // Prepare: the row has no role when read, and an admin's change lands before the store.
    const users = fakeUsers([{ id: 'ada', email: 'ada@example.test', role: null, status: 'active' }]);
    const roles: GroupRoles = {
      async adopt(id) {
        const row = users.rows.get(id);
        if (row) users.rows.set(id, { ...row, role: 'members' });
        return false;
      },
    };

    // Act
    const groups = await makeResolveTokenGroups({ users, roles })({
      sub: 'ada',
      email: undefined,
      groups: ['admins'],
    });

    // Assess
    expect(groups).toEqual(['members']);
  });

  it('gives a disabled user no tokens at all', async () => {
    const users = fakeUsers([{ id: 'eve', email: 'eve@example.test', role: 'members', status: 'disabled' }]);

    await expect(
      makeResolveTokenGroups({ users, roles: fakeGroupRoles(users).roles })({
        sub: undefined,
        email: 'EVE@example.test',
        groups: ['members'],
      }),
    ).rejects.toBeInstanceOf(SignInBlockedError);
  });
});
