import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promptSettingsOf } from '#chat/domain/system-prompt';
import { sql } from '#shared/db/sql';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { postgresUsageReports } from './postgres-usage-reports';
import { postgresUserAdmin } from './postgres-user-admin';

/*
 * Erasing a person keeps their usage (migration 0020): past reports and costs must still match
 * what the model provider charged. Days no other test writes to.
 */
const db = testDatabase();
const queries = testSql();
const onDataApi = sqlOnDataApi();

const DAYS = ['2013-04-01', '2013-04-02'] as const;
const MODEL = 'model-kept';
const stays: string[] = [];

let ada: { id: string; email: string };
let bob: { id: string; email: string };
let cleo: { id: string; email: string };
let erasedAda: unknown;

const usage = (userId: string, day: string, requests: number, tokens: number, costMicros: number) => ({
  user_id: userId,
  day,
  model: MODEL,
  requests,
  prompt_tokens: tokens,
  completion_tokens: tokens / 2,
  cost_micros: costMicros,
});

beforeAll(async () => {
  [ada, bob, cleo] = [await createTestUser(db), await createTestUser(db), await createTestUser(db)];
  stays.push(cleo.id);
  await db
    .insertInto('usage_daily')
    .values([
      // Ada and Bob on the same day and model: erased, their rows must neither collide nor merge.
      usage(ada.id, DAYS[0], 3, 100, 1_500_000),
      usage(ada.id, DAYS[1], 1, 20, 250_000),
      usage(bob.id, DAYS[0], 2, 40, 1),
      usage(cleo.id, DAYS[0], 5, 10, 7),
    ])
    .execute();
  const users = postgresUserAdmin(
    queries,
    () => 1_000,
    undefined,
    promptSettingsOf({ CHAT_CONTEXT_TOKENS: 12_000 }),
  );
  erasedAda = await users.erase(ada.id, ada.email);
  await users.erase(bob.id, bob.email);
});
afterAll(async () => {
  if (stays.length) await db.deleteFrom('users').where('id', 'in', stays).execute();
  await db.destroy();
  await queries.destroy();
});

describe('postgresUserAdmin.erase', () => {
  it('keeps the usage, each row whole and apart, without the person, and says how much', async () => {
    // Act: both were erased in beforeAll.
    const { rows } = await queries.query<{ day: string; requests: number; user_id: string | null }>(sql`
      select to_char(day, 'YYYY-MM-DD') as day, requests, user_id from usage_daily
      where model = ${MODEL} and day between cast(${DAYS[0]} as date) and cast(${DAYS[1]} as date)
      order by day, requests`);

    // Assess
    expect(rows).toEqual([
      { day: DAYS[0], requests: 2, user_id: null },
      { day: DAYS[0], requests: 3, user_id: null },
      { day: DAYS[0], requests: 5, user_id: cleo.id },
      { day: DAYS[1], requests: 1, user_id: null },
    ]);
    expect(erasedAda).toEqual({
      conversations: 0,
      messages: 0,
      usageKept: { requests: 4, promptTokens: 120, completionTokens: 60, costUsd: 1.75 },
    });
  });

  it('still merges a living user’s charges into their row of the day (the chat’s upsert)', async () => {
    const charge = sql`
      insert into usage_daily (user_id, day, model, requests, prompt_tokens, completion_tokens, cost_micros)
      values (${cleo.id}, cast(${DAYS[1]} as date), ${MODEL}, 1, 2, 2, 3)
      on conflict (user_id, day, model) do update set requests = usage_daily.requests + 1`;
    await queries.query(charge);
    await queries.query(charge);

    const { rows } = await queries.query<{ requests: number }>(sql`
      select requests from usage_daily
      where user_id = ${cleo.id} and day = cast(${DAYS[1]} as date) and model = ${MODEL}`);
    expect(rows).toEqual([{ requests: 2 }]);
  });
});

describe.each([
  ['PostgreSQL', () => queries],
  ['the Data API', () => onDataApi.db()],
])('postgresUsageReports.summarise after an erasure on %s', (_driver, database) => {
  it('shows erased people’s usage as one line by user, after the people', async () => {
    const rows = await postgresUsageReports(database()).summarise({
      from: DAYS[0],
      to: DAYS[0],
      groupBy: 'user',
    });

    expect(rows).toEqual([
      {
        key: cleo.id,
        email: cleo.email,
        requests: 5,
        promptTokens: 10,
        completionTokens: 5,
        totalTokens: 15,
        costUsd: 0.000007,
      },
      {
        key: 'erased',
        erased: true,
        requests: 5,
        promptTokens: 140,
        completionTokens: 70,
        totalTokens: 210,
        costUsd: 1.500001,
      },
    ]);
  });

  it('counts erased people’s usage in each day', async () => {
    const rows = await postgresUsageReports(database()).summarise({
      from: DAYS[0],
      to: DAYS[0],
      groupBy: 'day',
    });

    expect(rows).toEqual([
      {
        key: DAYS[0],
        requests: 10,
        promptTokens: 150,
        completionTokens: 75,
        totalTokens: 225,
        costUsd: 1.500008,
      },
    ]);
  });

  it('has no erased line where no erased person used anything', async () => {
    const rows = await postgresUsageReports(database()).summarise({
      from: '2013-03-01',
      to: '2013-03-31',
      groupBy: 'user',
    });
    expect(rows.filter((row) => row.erased)).toEqual([]);
  });
});
