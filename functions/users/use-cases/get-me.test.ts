import { describe, expect, it } from 'vitest';
import { fakeUserDirectory } from '#test/support/fakes/users';
import { makeGetMe } from './get-me';

const profile = {
  id: 'ada',
  email: 'ada@example.test',
  displayName: 'Ada',
  role: 'members',
  status: 'active',
  mfaEnabled: true,
  monthlyTokens: 5000,
} as const;

const REQUEST_ID = 'req-1';
const model = { provider: 'offline', models: ['offline'] } as const;
const roleQuota = (role: string | null) => (role === 'auditors' ? 100 : role === 'members' ? 300 : 50);

describe('getMe', () => {
  it("answers the caller's profile with this month's usage against the quota", async () => {
    // Prepare
    const users = fakeUserDirectory([profile]);
    users.used.set('ada', 1234);

    // Act
    const me = await makeGetMe({ users: users.directory, roleQuota, model })(
      { userId: 'ada', kind: 'user', role: 'members' },
      REQUEST_ID,
    );

    // Assess
    expect(me).toEqual({
      id: 'ada',
      email: 'ada@example.test',
      displayName: 'Ada',
      role: 'members',
      mfaEnabled: true,
      quota: { monthlyTokens: 5000, usedTokens: 1234, isDefault: false },
      model: { provider: 'offline', models: ['offline'] },
    });
  });

  it("reads the profile and the month's usage at once, not one after the other", async () => {
    // Prepare: the profile read waits until the test lets it go.
    const users = fakeUserDirectory([profile]);
    const started: string[] = [];
    let releaseFind = () => {};
    const find = users.directory.find;
    users.directory.find = async (id) => {
      started.push('profile');
      await new Promise<void>((resolve) => (releaseFind = resolve));
      return find(id);
    };
    const tokensUsedSince = users.directory.tokensUsedSince;
    users.directory.tokensUsedSince = async (id, since) => {
      started.push('usage');
      return tokensUsedSince(id, since);
    };

    // Act
    const answer = makeGetMe({ users: users.directory, roleQuota, model })(
      { userId: 'ada', kind: 'user', role: 'members' },
      REQUEST_ID,
    );
    await new Promise((resolve) => setImmediate(resolve));

    // Assess: the usage was asked for while the profile read was still waiting.
    expect(started).toEqual(['profile', 'usage']);
    releaseFind();
    await expect(answer).resolves.toMatchObject({ id: 'ada', quota: { usedTokens: 0 } });
  });

  it('fails as a whole when the usage read fails, while the profile read succeeds', async () => {
    const users = fakeUserDirectory([profile]);
    users.directory.tokensUsedSince = async () => {
      throw new Error('usage down');
    };

    await expect(
      makeGetMe({ users: users.directory, roleQuota, model })(
        { userId: 'ada', kind: 'user', role: 'members' },
        REQUEST_ID,
      ),
    ).rejects.toThrow('usage down');
  });

  it("shows the role's default quota when the user has none of their own", async () => {
    const users = fakeUserDirectory([{ ...profile, monthlyTokens: null }]);

    const me = await makeGetMe({ users: users.directory, roleQuota, model })(
      { userId: 'ada', kind: 'user', role: 'members' },
      REQUEST_ID,
    );

    expect(me.quota).toEqual({ monthlyTokens: 300, usedTokens: 0, isDefault: true });
  });

  it('provisions a missing person with their role default quota, so a valid token always has a profile', async () => {
    const users = fakeUserDirectory();

    const me = await makeGetMe({ users: users.directory, roleQuota, model })(
      { userId: 'new', kind: 'user', username: 'new@example.test', role: 'auditors' },
      REQUEST_ID,
    );

    expect(me).toMatchObject({
      id: 'new',
      email: 'new@example.test',
      role: 'auditors',
      quota: { monthlyTokens: 100, isDefault: true },
    });
    expect(users.rows.has('new')).toBe(true);
  });

  it('provisions in the name of the request, for its audit event to name it', async () => {
    // Prepare
    const users = fakeUserDirectory();
    const provisionedBy: string[] = [];
    const provision = users.directory.provision;
    users.directory.provision = async (user, requestId) => {
      provisionedBy.push(requestId);
      return provision(user, requestId);
    };
    const getMe = makeGetMe({ users: users.directory, roleQuota, model });

    // Act: a first request provisions; a later one finds the row.
    await getMe({ userId: 'new', kind: 'user', username: 'new@example.test', role: 'members' }, 'req-first');
    await getMe({ userId: 'new', kind: 'user', username: 'new@example.test', role: 'members' }, 'req-later');

    // Assess
    expect(provisionedBy).toEqual(['req-first']);
  });

  it("shows a machine client the role of its service account, not the token's", async () => {
    const users = fakeUserDirectory([{ ...profile, id: 'client-1', role: 'members' }]);

    const me = await makeGetMe({ users: users.directory, roleQuota, model })(
      { userId: 'client-1', kind: 'service', role: null },
      REQUEST_ID,
    );

    expect(me.role).toBe('members');
  });
});
