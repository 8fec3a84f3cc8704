import { randomUUID } from 'node:crypto';

import { sql, type Kysely, type RawBuilder } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import { createDatabase } from '../../functions/shared/db/database';
import { sqlStateOf } from '../../functions/shared/db/sql-state';
import { migrateToLatest } from '../../functions/shared/db/migrator';
import { migrations } from '../../migrations/index';
import type { ExecuteStatementInput } from '#shared/aws/data-api-client';
import {
  errorAnswer,
  resumingAnswer,
  type DataApiAnswer,
  type DataApiCall,
} from '../support/aws/data-api-test-server';
import { isDatabaseUnavailable } from '#shared/db/unavailable';
import type { Database } from '../../functions/shared/db/schema';
import {
  dataApiTestConfig,
  startDataApiOnPostgres,
  TEST_CLUSTER_ARN,
  TEST_SECRET_ARN,
  type DataApiOnPostgresServer,
} from '../support/data-api-on-postgres';
import { createTestUser } from '../support/database';
import { createScratchDatabase } from '../support/scratch-database';

// The Data API binds an untyped string parameter as `varchar`, so `uuid_column = :id` fails there
// ("operator does not exist: uuid = character varying") while it works through pg; Kysely code on
// the Data API (the migrations') wraps such values. The functions' SQL casts in its text instead.
/** A uuid parameter for Kysely, e.g. `.where('id', '=', asUuid(id))`. */
const asUuid = (value: string): RawBuilder<string> => sql<string>`cast(${value} as uuid)`;
/** A jsonb parameter for Kysely from a JS value. */
const asJsonb = (value: unknown): RawBuilder<string> => sql<string>`cast(${JSON.stringify(value)} as jsonb)`;
/**
 * Through our Data API client, over HTTP, to a loopback Data API that checks each request's
 * signature and runs it on PostgreSQL: the path the Lambda functions take, AWS aside.
 */
let dataApi: DataApiOnPostgresServer;
let db: Kysely<Database>;
/** Answers the next calls instead of PostgreSQL while it returns an answer (failures to inject). */
let intercept: ((call: DataApiCall) => DataApiAnswer | undefined) | undefined;

beforeAll(async () => {
  dataApi = await startDataApiOnPostgres({
    serverUrl: inject('databaseUrl'),
    intercept: (_index, call) => intercept?.(call),
  });
  db = createDatabase(dataApiTestConfig(), { rdsData: dataApi.client });
});
afterEach(() => {
  intercept = undefined;
});
afterAll(async () => {
  await db.destroy();
  await dataApi.close();
});

const callsOf = (operation: DataApiCall['operation']): DataApiCall[] =>
  dataApi.server.calls.filter((call) => call.operation === operation);

/** The ExecuteStatement requests, as they went over the wire (blobs in base64). */
const executedStatements = (): ExecuteStatementInput[] =>
  callsOf('ExecuteStatement').map((call) => call.body as unknown as ExecuteStatementInput);

async function newConversation(ownerId: string, values: { title?: string; updated_at?: Date } = {}) {
  return db
    .insertInto('conversations')
    .values({ owner_id: ownerId, title: values.title ?? 'Untitled', updated_at: values.updated_at })
    .returningAll()
    .executeTakeFirstOrThrow();
}

describe('the data-api driver on PostgreSQL', () => {
  it('inserts and reads users with JS types intact, sending the cluster, secret and database', async () => {
    // Act
    const inserted = await createTestUser(db, {
      role: 'admins',
      mfa_enabled: true,
      monthly_token_quota: 12_345,
    });
    const read = await db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', inserted.id)
      .executeTakeFirstOrThrow();

    // Assess
    expect(read).toEqual(inserted);
    expect(read).toMatchObject({
      role: 'admins',
      status: 'active',
      kind: 'user',
      mfa_enabled: true,
      monthly_token_quota: 12_345,
    });
    expect(read.created_at).toBeInstanceOf(Date);
    expect(Math.abs(read.created_at.getTime() - Date.now())).toBeLessThan(60_000); // UTC, not shifted by a zone
    const call = executedStatements().find(
      (input) => input.sql?.startsWith('select') && input.sql.includes('"users"'),
    );
    expect(call).toMatchObject({
      resourceArn: TEST_CLUSTER_ARN,
      secretArn: TEST_SECRET_ARN,
      database: dataApiTestConfig().DB_NAME,
      includeResultMetadata: true,
      parameters: [{ name: '0', value: { stringValue: inserted.id } }],
    });
  });

  it('round-trips timestamps written from Date values to the millisecond', async () => {
    const user = await createTestUser(db);
    const lockedUntil = new Date('2031-02-03T04:05:06.789Z');
    await db
      .insertInto('sign_in_attempts')
      .values({
        username: user.email,
        failed_count: 5,
        last_failed_at: new Date(),
        locked_until: lockedUntil,
      })
      .execute();
    const row = await db
      .selectFrom('sign_in_attempts')
      .selectAll()
      .where('username', '=', user.email)
      .executeTakeFirstOrThrow();
    expect(row.locked_until).toEqual(lockedUntil);
    expect(row.failed_count).toBe(5);
    const params = executedStatements().find((i) =>
      i.sql?.startsWith('insert into "sign_in_attempts"'),
    )?.parameters;
    expect(params).toContainEqual({
      name: '3',
      typeHint: 'TIMESTAMP',
      value: { stringValue: '2031-02-03 04:05:06.789' },
    });
  });

  it('pages through conversations with a keyset cursor', async () => {
    // Prepare: five conversations, one minute apart, plus a deleted one that must not show.
    const user = await createTestUser(db);
    const base = Date.parse('2030-01-01T00:00:00.000Z');
    for (let i = 0; i < 5; i++)
      await newConversation(user.id, { title: `c${i}`, updated_at: new Date(base + i * 60_000) });
    const deleted = await newConversation(user.id, {
      title: 'gone',
      updated_at: new Date(base + 10 * 60_000),
    });
    await db
      .updateTable('conversations')
      .set({ deleted_at: new Date() })
      .where('id', '=', asUuid(deleted.id))
      .execute();

    // Act
    const page = (cursor?: { updated_at: Date; id: string }) =>
      db
        .selectFrom('conversations')
        .select(['id', 'title', 'updated_at'])
        .where('owner_id', '=', user.id)
        .where('deleted_at', 'is', null)
        .$if(cursor !== undefined, (q) =>
          q.where(sql<boolean>`(updated_at, id) < (${cursor?.updated_at}, ${asUuid(cursor?.id ?? '')})`),
        )
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(2)
        .execute();
    const titles: string[] = [];
    let cursor: { updated_at: Date; id: string } | undefined;
    for (;;) {
      const rows = await page(cursor);
      titles.push(...rows.map((r) => r.title));
      const last = rows.at(-1);
      if (rows.length < 2 || !last) break;
      cursor = last;
    }

    // Assess
    expect(titles).toEqual(['c4', 'c3', 'c2', 'c1', 'c0']);
  });

  it('binds an uncast string as varchar, as the real Data API does: uuid columns need asUuid()', async () => {
    const user = await createTestUser(db);
    const conversation = await newConversation(user.id);
    const error = await db
      .selectFrom('conversations')
      .select('id')
      .where('id', '=', conversation.id)
      .execute()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'BadRequestException', $fault: 'client' });
    expect((error as Error).message).toMatch(/operator does not exist: uuid = character varying/);
    expect(sqlStateOf(error)).toBe('42883');

    const found = await db
      .selectFrom('conversations')
      .select('id')
      .where('id', '=', asUuid(conversation.id))
      .execute();
    expect(found).toEqual([{ id: conversation.id }]);
  });

  it('finds messages by full-text search on the generated tsvector', async () => {
    const user = await createTestUser(db);
    const conversation = await newConversation(user.id);
    await db
      .insertInto('messages')
      .values([
        {
          conversation_id: asUuid(conversation.id),
          owner_id: user.id,
          role: 'user',
          content: 'Draft the quarterly budget memo',
        },
        {
          conversation_id: asUuid(conversation.id),
          owner_id: user.id,
          role: 'assistant',
          content: 'Here is a poem',
          status: 'streaming',
          model: 'gpt-4o-mini',
          prompt_tokens: 12,
          completion_tokens: 3,
        },
      ])
      .execute();

    const hits = await db
      .selectFrom('messages')
      .select(['role', 'content', 'status', 'prompt_tokens'])
      .where('owner_id', '=', user.id)
      .where(sql<boolean>`content_tsv @@ plainto_tsquery('simple', ${'Budget quarterly'})`)
      .execute();
    expect(hits).toEqual([
      { role: 'user', content: 'Draft the quarterly budget memo', status: 'complete', prompt_tokens: 0 },
    ]);

    const ordered = await db
      .selectFrom('messages')
      .select(['role', 'model', 'completion_tokens'])
      .where('conversation_id', '=', asUuid(conversation.id))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    expect(ordered).toHaveLength(2);
    expect(ordered).toContainEqual({ role: 'assistant', model: 'gpt-4o-mini', completion_tokens: 3 });
  });

  it('reports a reused idempotency key as a unique violation (SQLSTATE 23505)', async () => {
    const user = await createTestUser(db);
    const conversation = await newConversation(user.id);
    const insert = () =>
      db
        .insertInto('messages')
        .values({
          conversation_id: asUuid(conversation.id),
          owner_id: user.id,
          role: 'user',
          content: 'x',
          idempotency_key: 'k-1',
        })
        .execute();
    await insert();
    expect(sqlStateOf(await insert().catch((e: unknown) => e))).toBe('23505');
  });

  it('stores audit details as jsonb and reads them back as objects', async () => {
    const action = `test.${randomUUID()}`;
    const details = { ip: '192.0.2.1', attempts: 3, nested: { ok: true } };
    const event = await db
      .insertInto('audit_events')
      .values({ action, actor_id: 'someone', details: asJsonb(details) })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(event.details).toEqual(details);
    expect(event.occurred_at).toBeInstanceOf(Date);

    const byKey = await db
      .selectFrom('audit_events')
      .select(sql<string>`details->>'ip'`.as('ip'))
      .where('action', '=', action)
      .where(sql<boolean>`details @> ${asJsonb({ nested: { ok: true } })}`)
      .executeTakeFirstOrThrow();
    expect(byKey.ip).toBe('192.0.2.1');
  });

  it('returns date columns as Date and bigint columns as numbers (unlike pg: use ::text for a day)', async () => {
    const user = await createTestUser(db);
    await db
      .insertInto('usage_daily')
      .values({
        user_id: user.id,
        day: sql<string>`cast(${'2030-05-06'} as date)`,
        model: 'gpt-4o-mini',
        requests: 2,
        cost_micros: 1500,
      })
      .execute();
    const row = await db
      .selectFrom('usage_daily')
      .select(['day', 'cost_micros', 'requests', sql<string>`day::text`.as('day_text')])
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.day_text).toBe('2030-05-06');
    expect(row.day as unknown).toEqual(new Date('2030-05-06T00:00:00.000Z'));
    expect(row.cost_micros as unknown).toBe(1500);
    expect(row.requests).toBe(2);
  });

  it('commits a transaction on its own Data API transaction id', async () => {
    const user = await createTestUser(db);
    const before = callsOf('CommitTransaction').length;

    await db.transaction().execute(async (trx) => {
      const conversation = await trx
        .insertInto('conversations')
        .values({ owner_id: user.id, title: 'in trx' })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('conversations')
        .set({ message_count: 1 })
        .where('id', '=', asUuid(conversation.id))
        .execute();
    });

    const rows = await db
      .selectFrom('conversations')
      .select(['title', 'message_count'])
      .where('owner_id', '=', user.id)
      .execute();
    expect(rows).toEqual([{ title: 'in trx', message_count: 1 }]);
    expect(callsOf('CommitTransaction')).toHaveLength(before + 1);
    const commit = callsOf('CommitTransaction').at(-1)?.body;
    const transactionId = commit?.transactionId;
    expect(transactionId).toEqual(expect.any(String));
    expect(commit).toEqual({ resourceArn: TEST_CLUSTER_ARN, secretArn: TEST_SECRET_ARN, transactionId });
    const inTransaction = executedStatements().filter((i) => i.transactionId === transactionId);
    expect(inTransaction).toHaveLength(2);
    expect(callsOf('BeginTransaction').at(-1)?.body).toEqual({
      resourceArn: TEST_CLUSTER_ARN,
      secretArn: TEST_SECRET_ARN,
      database: dataApiTestConfig().DB_NAME,
    });
  });

  it('rolls a transaction back when the work throws', async () => {
    const user = await createTestUser(db);
    const before = callsOf('RollbackTransaction').length;

    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('conversations').values({ owner_id: user.id, title: 'never' }).execute();
        throw new Error('model call failed');
      }),
    ).rejects.toThrow('model call failed');

    expect(
      await db.selectFrom('conversations').select('id').where('owner_id', '=', user.id).execute(),
    ).toEqual([]);
    expect(callsOf('RollbackTransaction')).toHaveLength(before + 1);
  });

  it('runs the migrator through the Data API on a fresh database', async () => {
    const scratch = await createScratchDatabase('parley_dataapi');
    const scratchDb = createDatabase(dataApiTestConfig(scratch.name), { rdsData: dataApi.client });
    try {
      const first = await migrateToLatest(scratchDb);
      // Every migration, in order (new ones join without touching this test).
      expect(first.results?.map((r) => `${r.migrationName}:${r.status}`)).toEqual(
        Object.keys(migrations).map((name) => `${name}:Success`),
      );
      expect((await migrateToLatest(scratchDb)).results).toEqual([]);
      const user = await createTestUser(scratchDb);
      expect(user.status).toBe('active');
      expect(
        executedStatements().some(
          (i) => i.database === scratch.name && i.sql?.includes('create table "messages"'),
        ),
      ).toBe(true);
    } finally {
      await scratchDb.destroy();
      await scratch.drop();
    }
  });
});

describe('failures on the way', () => {
  it('retries a statement while Aurora resumes, then runs it', async () => {
    // Prepare: the next two calls answer "resuming", as a paused cluster does
    const user = await createTestUser(db);
    let resuming = 2;
    intercept = () => (resuming-- > 0 ? resumingAnswer : undefined);
    const before = callsOf('ExecuteStatement').length;

    // Act
    const row = await db.selectFrom('users').select('email').where('id', '=', user.id).executeTakeFirst();

    // Assess
    expect(row).toEqual({ email: user.email });
    expect(callsOf('ExecuteStatement')).toHaveLength(before + 3);
  });

  it('retries a cut connection and a 503, then runs the statement', async () => {
    const user = await createTestUser(db);
    const failures: DataApiAnswer[] = ['cut', errorAnswer(503, 'ServiceUnavailableError')];
    intercept = () => failures.shift();

    const row = await db.selectFrom('users').select('email').where('id', '=', user.id).executeTakeFirst();

    expect(row).toEqual({ email: user.email });
  });

  it('gives up after 3 attempts when the service stays unavailable, with an error the API answers 503 for', async () => {
    intercept = () => errorAnswer(503, 'ServiceUnavailableError');
    const before = callsOf('ExecuteStatement').length;

    const error = await db
      .selectFrom('users')
      .select('id')
      .execute()
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(error).toMatchObject({ name: 'ServiceUnavailableError' });
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(callsOf('ExecuteStatement')).toHaveLength(before + 3);
  });

  it('does not retry a statement error, which keeps its SQLSTATE', async () => {
    const user = await createTestUser(db);
    const before = callsOf('ExecuteStatement').length;

    const error = await db
      .insertInto('users')
      .values({ id: user.id, email: `${randomUUID()}@example.com`, display_name: 'Duplicate' })
      .execute()
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(error).toMatchObject({ name: 'BadRequestException' });
    expect(sqlStateOf(error)).toBe('23505');
    expect(callsOf('ExecuteStatement')).toHaveLength(before + 1);
  });

  it('refuses a row over 64 KB and a result over 1 MiB, as Aurora documents; takes what is within', async () => {
    const failure = (query: RawBuilder<unknown>) =>
      query.execute(db).then(
        () => undefined,
        (e: unknown) => e as Error,
      );

    // Multi-byte text counts in bytes: 30,000 characters of three bytes are over 64 KB.
    expect(await failure(sql`select repeat('語', 30000) as a`)).toMatchObject({
      name: 'BadRequestException',
      message: expect.stringMatching(/^Packet for query is too large/) as unknown,
    });
    expect(await failure(sql`select repeat('x', 60000) as a from generate_series(1, 18)`)).toMatchObject({
      name: 'BadRequestException',
      message: expect.stringMatching(/more than the allowed response size limit/) as unknown,
    });
    const within = await sql<{
      a: string;
    }>`select repeat('x', 65000) as a from generate_series(1, 16)`.execute(db);
    expect(within.rows).toHaveLength(16);
  });

  it('sends bytes as base64 and reads them back as bytes', async () => {
    const bytes = Buffer.from([0, 1, 127, 128, 254, 255]);

    const result = await sql<{ b: Uint8Array }>`select ${bytes}::bytea as b`.execute(db);

    expect(Buffer.from(result.rows[0]?.b ?? [])).toEqual(bytes);
    expect(executedStatements().at(-1)?.parameters).toEqual([
      { name: '0', value: { blobValue: bytes.toString('base64') } },
    ]);
  });
});
