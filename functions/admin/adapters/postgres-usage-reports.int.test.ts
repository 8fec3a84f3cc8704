import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { postgresUsageReports } from './postgres-usage-reports';

const db = testDatabase();
const queries = testSql();
const onDataApi = sqlOnDataApi();

/** Days no other test writes to; the users made here are deleted (with their usage) afterwards. */
const DAYS = ['2011-02-03', '2011-02-04', '2011-02-05'] as const;
const userIds: string[] = [];
let heavy: { id: string; email: string };
let tieLow: { id: string; email: string };
let tieHigh: { id: string; email: string };

beforeAll(async () => {
  const [a, b, c] = [await createTestUser(db), await createTestUser(db), await createTestUser(db)];
  if (!a || !b || !c) throw new Error('no users');
  userIds.push(a.id, b.id, c.id);
  heavy = a;
  [tieLow, tieHigh] = b.id < c.id ? [b, c] : [c, b];
  const usage = (userId: string, day: string, model: string, tokens: number, costMicros: number) => ({
    user_id: userId,
    day,
    model,
    requests: 2,
    prompt_tokens: tokens,
    completion_tokens: tokens / 2,
    cost_micros: costMicros,
  });
  await db
    .insertInto('usage_daily')
    .values([
      usage(heavy.id, DAYS[0], 'x', 100, 1_250_000),
      usage(heavy.id, DAYS[0], 'y', 100, 1),
      usage(heavy.id, DAYS[2], 'x', 1_000, 9_000_000_000_000),
      // Outside the range on either side.
      usage(heavy.id, '2011-02-02', 'x', 8, 7),
      usage(heavy.id, '2011-02-06', 'x', 8, 7),
      usage(tieLow.id, DAYS[1], 'x', 10, 3),
      usage(tieHigh.id, DAYS[1], 'y', 10, 4),
    ])
    .execute();
});
afterAll(async () => {
  // usage_daily rows outlive their user (migration 0020): removed first, so no test leaves any.
  if (userIds.length) await db.deleteFrom('usage_daily').where('user_id', 'in', userIds).execute();
  if (userIds.length) await db.deleteFrom('users').where('id', 'in', userIds).execute();
  await db.destroy();
  await queries.destroy();
});

describe.each([
  ['PostgreSQL', () => queries],
  ['the Data API', () => onDataApi.db()],
])('postgresUsageReports.summarise on %s', (_driver, database) => {
  it('sums each day of the range, both ends included, in day order', async () => {
    const rows = await postgresUsageReports(database()).summarise({
      from: DAYS[0],
      to: DAYS[2],
      groupBy: 'day',
    });

    expect(rows).toEqual([
      {
        key: DAYS[0],
        requests: 4,
        promptTokens: 200,
        completionTokens: 100,
        totalTokens: 300,
        costUsd: 1.250001,
      },
      {
        key: DAYS[1],
        requests: 4,
        promptTokens: 20,
        completionTokens: 10,
        totalTokens: 30,
        costUsd: 0.000007,
      },
      {
        key: DAYS[2],
        requests: 2,
        promptTokens: 1_000,
        completionTokens: 500,
        totalTokens: 1_500,
        costUsd: 9_000_000,
      },
    ]);
  });

  it('sums each user with their e-mail, most tokens first, ties in id order', async () => {
    const rows = await postgresUsageReports(database()).summarise({
      from: DAYS[0],
      to: DAYS[2],
      groupBy: 'user',
    });

    expect(rows.filter((r) => userIds.includes(r.key))).toEqual([
      {
        key: heavy.id,
        email: heavy.email,
        requests: 6,
        promptTokens: 1_200,
        completionTokens: 600,
        totalTokens: 1_800,
        costUsd: 9_000_001.250001,
      },
      {
        key: tieLow.id,
        email: tieLow.email,
        requests: 2,
        promptTokens: 10,
        completionTokens: 5,
        totalTokens: 15,
        costUsd: 0.000003,
      },
      {
        key: tieHigh.id,
        email: tieHigh.email,
        requests: 2,
        promptTokens: 10,
        completionTokens: 5,
        totalTokens: 15,
        costUsd: 0.000004,
      },
    ]);
  });

  it('answers the same by user when it reads the people one at a time (as thousands are read)', async () => {
    const query = { from: DAYS[0], to: DAYS[2], groupBy: 'user' } as const;

    const whole = await postgresUsageReports(database()).summarise(query);
    const inReads = await postgresUsageReports(database(), { usersPerRead: 1 }).summarise(query);

    expect(inReads).toEqual(whole);
    expect(inReads.filter((r) => userIds.includes(r.key)).map((r) => r.key)).toEqual([
      heavy.id,
      tieLow.id,
      tieHigh.id,
    ]);
  });

  it('answers nothing for a range without usage', async () => {
    const reports = postgresUsageReports(database());

    expect(await reports.summarise({ from: '2011-01-01', to: '2011-01-31', groupBy: 'day' })).toEqual([]);
    expect(await reports.summarise({ from: '2011-01-01', to: '2011-01-31', groupBy: 'user' })).toEqual([]);
  });
});
