import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { postgresUserDirectory } from './postgres-user-directory';

const db = testDatabase();
const queries = testSql();
afterAll(async () => {
  await db.destroy();
  await queries.destroy();
});

const NOW = new Date('2026-03-15T10:00:00Z');

describe('postgresUserDirectory.tokensUsedSince', () => {
  it("sums this month's tokens over every model and day, and nothing before the 1st", async () => {
    // Prepare
    const user = await createTestUser(db);
    await db
      .insertInto('usage_daily')
      .values([
        {
          user_id: user.id,
          day: '2026-03-01',
          model: 'gpt-4o-mini',
          prompt_tokens: 40,
          completion_tokens: 2,
          cost_micros: 1,
        },
        {
          user_id: user.id,
          day: '2026-03-15',
          model: 'gpt-4.1',
          prompt_tokens: 8,
          completion_tokens: 0,
          cost_micros: 1,
        },
        {
          user_id: user.id,
          day: '2026-02-28',
          model: 'gpt-4o-mini',
          prompt_tokens: 900,
          completion_tokens: 9,
          cost_micros: 1,
        },
      ])
      .execute();

    // Act
    const used = await postgresUserDirectory(queries).tokensUsedSince(user.id, NOW);

    // Assess
    expect(used).toBe(50);
  });

  it('answers 0 for a user with no usage, and for an unknown user', async () => {
    const user = await createTestUser(db);
    const directory = postgresUserDirectory(queries);

    expect(await directory.tokensUsedSince(user.id, NOW)).toBe(0);
    expect(await directory.tokensUsedSince(`unknown-${randomUUID()}`, NOW)).toBe(0);
  });
});

describe('postgresUserDirectory.provision', () => {
  it('creates the row once: a second call with another role keeps the first', async () => {
    const id = randomUUID();
    const directory = postgresUserDirectory(queries);

    const first = await directory.provision({
      id,
      email: `Ada-${id}@Example.test`,
      role: 'members',
      kind: 'user',
    });
    const again = await directory.provision({
      id,
      email: `ada-${id}@example.test`,
      role: 'admins',
      kind: 'user',
    });

    expect(first).toMatchObject({ id, email: `ada-${id}@example.test`, role: 'members', status: 'active' });
    expect(again).toEqual(first);
  });
});

describe('postgresUserDirectory.find', () => {
  it("answers a user's own quota as a number, and null when the role's default applies", async () => {
    const own = await createTestUser(db, { monthly_token_quota: 12_345 });
    const byRole = await createTestUser(db);
    const directory = postgresUserDirectory(queries);

    expect(await directory.find(own.id)).toMatchObject({ id: own.id, monthlyTokens: 12_345 });
    expect(await directory.find(byRole.id)).toMatchObject({ id: byRole.id, monthlyTokens: null });
  });

  it('answers undefined for an unknown id, a hostile one included', async () => {
    const directory = postgresUserDirectory(queries);

    expect(await directory.find(`unknown-${randomUUID()}`)).toBeUndefined();
    expect(await directory.find("' or '1'='1")).toBeUndefined();
  });
});
