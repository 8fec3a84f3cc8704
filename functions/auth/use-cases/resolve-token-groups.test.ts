import { describe, expect, it } from 'vitest';
import { fakeUsers } from '#test/support/fakes/auth';
import { SignInBlockedError } from '../domain/sign-in';
import { makeResolveTokenGroups } from './resolve-token-groups';

describe('resolveTokenGroups', () => {
  it('puts exactly the stored role in the tokens, whatever groups Cognito holds', async () => {
    // Prepare
    const users = fakeUsers([{ id: 'ada', email: 'ada@example.test', role: 'auditors', status: 'active' }]);

    // Act
    const groups = await makeResolveTokenGroups({ users })({
      sub: 'ada',
      email: undefined,
      groups: ['admins'],
    });

    // Assess
    expect(groups).toEqual(['auditors']);
  });

  it('falls back to the Cognito group of a user with no stored row', async () => {
    const groups = await makeResolveTokenGroups({ users: fakeUsers() })({
      sub: 'new',
      email: 'new@example.test',
      groups: ['members'],
    });

    expect(groups).toEqual(['members']);
  });

  it('gives a disabled user no tokens at all', async () => {
    const users = fakeUsers([{ id: 'eve', email: 'eve@example.test', role: 'members', status: 'disabled' }]);

    await expect(
      makeResolveTokenGroups({ users })({ sub: undefined, email: 'EVE@example.test', groups: ['members'] }),
    ).rejects.toBeInstanceOf(SignInBlockedError);
  });
});
