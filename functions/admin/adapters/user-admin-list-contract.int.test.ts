import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role, UserStatus } from '#shared/domain/roles';
import { decodeCursor } from '#shared/pagination/cursor';
import { adminUser, fakeUserAdmin } from '#test/support/fakes/admin';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import type { UserAdminRepository, UserListOptions } from '../ports/user-admin';
import { postgresUserAdmin } from './postgres-user-admin';

/*
 * The in-memory users list that the use-case tests rely on answers every filter as the real one
 * does: the same people, seeded in both, are listed with each filter and combination of filters,
 * page by page, and the two must agree (and match what the filter means). A fake that ignored a
 * filter would let a caller's test pass with the filter wrong.
 */

const db = testDatabase();
const queries = testSql();
const userIds: string[] = [];
const usernames: string[] = [];

afterAll(async () => {
  if (usernames.length) await db.deleteFrom('sign_in_attempts').where('username', 'in', usernames).execute();
  if (userIds.length) await db.deleteFrom('users').where('id', 'in', userIds).execute();
  await db.destroy();
  await queries.destroy();
});

const NOW = new Date('2026-03-10T12:00:00.000Z');
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
const tag = `ctr${randomBytes(4).toString('hex')}`;

interface Person {
  readonly name: string;
  readonly role: Role;
  readonly status: UserStatus;
  readonly mfa: boolean;
  /** When their sign-in lockout ends (undefined: no counter; null: counting, not locked). */
  readonly lockedUntil?: string | null;
  readonly createdDaysAgo: number;
  readonly lastSignInDaysAgo: number | null;
}

const people: Person[] = [
  {
    name: 'ann',
    role: 'members',
    status: 'active',
    mfa: false,
    lockedUntil: daysAgo(-0.01),
    createdDaysAgo: 1,
    lastSignInDaysAgo: null,
  },
  { name: 'bob', role: 'members', status: 'active', mfa: true, createdDaysAgo: 2, lastSignInDaysAgo: 1 },
  {
    name: 'cy',
    role: 'admins',
    status: 'active',
    mfa: true,
    lockedUntil: daysAgo(-1),
    createdDaysAgo: 3,
    lastSignInDaysAgo: 40,
  },
  {
    name: 'dee',
    role: 'auditors',
    status: 'disabled',
    mfa: false,
    lockedUntil: daysAgo(0.01),
    createdDaysAgo: 50,
    lastSignInDaysAgo: 45,
  },
  {
    name: 'eve',
    role: 'members',
    status: 'disabled',
    mfa: false,
    lockedUntil: daysAgo(-2),
    createdDaysAgo: 60,
    lastSignInDaysAgo: null,
  },
  {
    name: 'fay',
    role: 'members',
    status: 'active',
    mfa: false,
    lockedUntil: null,
    createdDaysAgo: 70,
    lastSignInDaysAgo: 2,
  },
  {
    name: 'gus',
    role: 'auditors',
    status: 'active',
    mfa: true,
    lockedUntil: NOW.toISOString(),
    createdDaysAgo: 80,
    lastSignInDaysAgo: 31,
  },
  {
    name: 'hal',
    role: 'members',
    status: 'active',
    mfa: false,
    lockedUntil: daysAgo(-0.5),
    createdDaysAgo: 90,
    lastSignInDaysAgo: 29,
  },
];

/** The same people in PostgreSQL and in the fake, with the same ids, times and lockouts. */
async function seed(): Promise<{
  real: UserAdminRepository;
  fake: UserAdminRepository;
  idOf: Map<string, string>;
}> {
  const fake = fakeUserAdmin();
  const idOf = new Map<string, string>();
  for (const person of people) {
    const id = randomUUID();
    idOf.set(person.name, id);
    const email = `${tag}-${person.name}@example.test`;
    const createdAt = daysAgo(person.createdDaysAgo);
    const lastSignInAt = person.lastSignInDaysAgo === null ? null : daysAgo(person.lastSignInDaysAgo);
    userIds.push(id);
    await createTestUser(db, {
      id,
      email,
      display_name: `${tag} ${person.name}`,
      role: person.role,
      status: person.status,
      mfa_enabled: person.mfa,
      created_at: createdAt,
      last_sign_in_at: lastSignInAt,
    });
    fake.rows.set(
      id,
      adminUser({
        id,
        email,
        displayName: `${tag} ${person.name}`,
        role: person.role,
        status: person.status,
        mfaEnabled: person.mfa,
        createdAt,
        lastSignInAt,
      }),
    );
    if (person.lockedUntil !== undefined) {
      usernames.push(email);
      await db
        .insertInto('sign_in_attempts')
        .values({
          username: email,
          failed_count: 5,
          locked_until: person.lockedUntil === null ? null : new Date(person.lockedUntil),
        })
        .execute();
      if (person.lockedUntil !== null) fake.attempts.set(email, person.lockedUntil);
    }
  }
  return { real: postgresUserAdmin(queries, () => 100_000), fake: fake.repository, idOf };
}

/** Every page of the list with `filters`, two at a time, as [name, locked] pairs. */
async function walk(
  users: UserAdminRepository,
  idOf: Map<string, string>,
  filters: Partial<UserListOptions>,
) {
  const nameOf = new Map([...idOf].map(([name, id]) => [id, name]));
  const seen: [string | undefined, boolean][] = [];
  let cursor: UserListOptions['cursor'];
  for (let page = 0; page < 10; page++) {
    const result = await users.list({ limit: 2, q: tag, ...filters, ...(cursor ? { cursor } : {}) }, NOW);
    seen.push(...result.items.map((u): [string | undefined, boolean] => [nameOf.get(u.id), u.locked]));
    if (!result.nextCursor) return seen;
    cursor = decodeCursor(result.nextCursor);
  }
  throw new Error('the list did not end');
}

describe('the users list, in PostgreSQL and in the fake the use-case tests use', () => {
  const cases: [Partial<UserListOptions>, string[]][] = [
    [{}, ['ann', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal']],
    [{ mfaEnabled: true }, ['bob', 'cy', 'gus']],
    [{ mfaEnabled: false }, ['ann', 'dee', 'eve', 'fay', 'hal']],
    [{ lockedNow: true }, ['ann', 'cy', 'eve', 'hal']],
    [{ inactiveDays: 30 }, ['cy', 'dee', 'eve', 'gus']],
    [{ role: 'members' }, ['ann', 'bob', 'eve', 'fay', 'hal']],
    [{ status: 'disabled' }, ['dee', 'eve']],
    [{ role: 'members', mfaEnabled: false, lockedNow: true }, ['ann', 'eve', 'hal']],
    [{ status: 'active', mfaEnabled: false, lockedNow: true }, ['ann', 'hal']],
    [{ mfaEnabled: true, lockedNow: true, inactiveDays: 30 }, ['cy']],
    [{ role: 'auditors', inactiveDays: 30, mfaEnabled: false }, ['dee']],
    [{ role: 'admins', mfaEnabled: false }, []],
  ];

  // Seeded once: the e-mail addresses are unique in the database.
  let seeded: ReturnType<typeof seed>;
  beforeAll(() => {
    seeded = seed();
  });

  it.each(cases)('keeps with %j exactly %j, page by page, in both', async (filters, expected) => {
    // Prepare
    const { real, fake, idOf } = await seeded;

    // Act
    const fromReal = await walk(real, idOf, filters);
    const fromFake = await walk(fake, idOf, filters);

    // Assess
    expect(fromReal.map(([name]) => name)).toEqual(expected);
    expect(fromFake).toEqual(fromReal);
  });
});
