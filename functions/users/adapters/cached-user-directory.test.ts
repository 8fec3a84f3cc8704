import { describe, expect, it } from 'vitest';
import type { Cache } from '#shared/cache/cache';
import { profileKey } from '#shared/cache/keys';
import { memoryCache } from '#shared/cache/memory-cache';
import { fakeUserDirectory } from '#test/support/fakes/users';
import { PROFILE_TTL_SECONDS, withCachedProfiles } from './cached-user-directory';

const ada = {
  id: 'ada',
  email: 'ada@example.test',
  displayName: 'Ada',
  role: 'members',
  status: 'active',
  mfaEnabled: true,
  monthlyTokens: null,
} as const;

function setUp(cache: Cache = memoryCache()) {
  const users = fakeUserDirectory([ada]);
  let reads = 0;
  const find = users.directory.find;
  users.directory.find = async (id) => {
    reads += 1;
    return find(id);
  };
  const recorded: string[] = [];
  const directory = withCachedProfiles(users.directory, () => cache, {
    cacheLookup: (what, hit) => recorded.push(`${what}:${hit ? 'hit' : 'miss'}`),
  });
  return { directory, users, recorded, reads: () => reads };
}

describe('withCachedProfiles', () => {
  it('answers the second read from the cache, and counts the miss and the hit', async () => {
    // Prepare
    const { directory, recorded, reads } = setUp();

    // Act
    const first = await directory.find('ada');
    const second = await directory.find('ada');

    // Assess
    expect(first).toEqual(ada);
    expect(second).toEqual(ada);
    expect(reads()).toBe(1);
    expect(recorded).toEqual(['profile:miss', 'profile:hit']);
  });

  it('reads the database again once the entry is dropped (what an admin change does)', async () => {
    const cache = memoryCache();
    const { directory, users, reads } = setUp(cache);
    await directory.find('ada');
    users.rows.set('ada', { ...ada, monthlyTokens: 5000 });

    await cache.delete(profileKey('ada'));

    expect((await directory.find('ada'))?.monthlyTokens).toBe(5000);
    expect(reads()).toBe(2);
  });

  it('keeps an entry no longer than the TTL', async () => {
    let now = 0;
    const { directory, users } = setUp(memoryCache(() => now));
    await directory.find('ada');
    users.rows.set('ada', { ...ada, displayName: 'Countess' });

    now += (PROFILE_TTL_SECONDS + 1) * 1000;

    expect((await directory.find('ada'))?.displayName).toBe('Countess');
  });

  it('does not cache a user without a row, so the provisioned row is read next time', async () => {
    const { directory, reads } = setUp();

    expect(await directory.find('nobody')).toBeUndefined();
    expect(await directory.find('nobody')).toBeUndefined();
    expect(reads()).toBe(2);
  });

  it('answers from the database when the cache fails', async () => {
    const broken: Cache = {
      ...memoryCache(),
      get: () => Promise.reject(new Error('cache down')),
      set: () => Promise.reject(new Error('cache down')),
    };
    const { directory, recorded } = setUp(broken);

    expect(await directory.find('ada')).toEqual(ada);
    expect(recorded).toEqual(['profile:miss']);
  });
});
