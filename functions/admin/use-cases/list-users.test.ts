import { describe, expect, it } from 'vitest';
import { adminUser, fakeUserAdmin } from '#test/support/fakes/admin';
import { makeListUsers } from './list-users';

describe('listUsers', () => {
  it('pages newest first and reports lockouts that have not ended', async () => {
    // Prepare
    const now = new Date('2026-03-10T12:00:00.000Z');
    const users = [1, 2, 3].map((n) =>
      adminUser({ id: `u${n}`, email: `u${n}@example.test`, createdAt: `2026-03-0${n}T00:00:00.000Z` }),
    );
    const repo = fakeUserAdmin(users);
    repo.attempts.set('u3@example.test', '2026-03-10T13:00:00.000Z');
    repo.attempts.set('u2@example.test', '2026-03-10T11:00:00.000Z');
    const list = makeListUsers({ users: repo.repository, now: () => now });

    // Act
    const first = await list({ limit: 2 });
    const cursor = JSON.parse(Buffer.from(first.nextCursor ?? '', 'base64url').toString('utf8'));
    const second = await list({ limit: 2, cursor });

    // Assess
    expect(first.items.map((u) => [u.id, u.locked])).toEqual([
      ['u3', true],
      ['u2', false],
    ]);
    expect(second.items.map((u) => u.id)).toEqual(['u1']);
    expect(second.nextCursor).toBeNull();
  });
});
