import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDatabase } from '../../functions/shared/db/database';
import { sqlStateOf } from '../../functions/shared/db/sql-state';
import {
  MigrationFailedError,
  migrateDownToNothing,
  migrateToLatest,
} from '../../functions/shared/db/migrator';
import type { Database } from '../../functions/shared/db/schema';
import { createTestUser, testDatabase } from '../support/database';
import { createScratchDatabase } from '../support/scratch-database';
import { migrations } from '../../migrations/index';

/** What schema.ts declares, as PostgreSQL names it: [data_type, nullable]. */
const expectedSchema: Record<keyof Database, Record<string, [string, boolean]>> = {
  users: {
    id: ['text', false],
    email: ['text', false],
    display_name: ['text', false],
    role: ['text', true],
    status: ['text', false],
    kind: ['text', false],
    monthly_token_quota: ['integer', true],
    mfa_enabled: ['boolean', false],
    tokens_valid_after: ['timestamp with time zone', true],
    instructions: ['text', true],
    last_sign_in_at: ['timestamp with time zone', true],
    turn_seq: ['bigint', false],
    created_at: ['timestamp with time zone', false],
    updated_at: ['timestamp with time zone', false],
  },
  sign_in_attempts: {
    username: ['text', false],
    failed_count: ['integer', false],
    last_failed_at: ['timestamp with time zone', true],
    locked_until: ['timestamp with time zone', true],
    updated_at: ['timestamp with time zone', false],
  },
  conversations: {
    id: ['uuid', false],
    owner_id: ['text', false],
    title: ['text', false],
    message_count: ['integer', false],
    created_at: ['timestamp with time zone', false],
    updated_at: ['timestamp with time zone', false],
    deleted_at: ['timestamp with time zone', true],
  },
  messages: {
    id: ['uuid', false],
    conversation_id: ['uuid', false],
    owner_id: ['text', false],
    role: ['text', false],
    content: ['text', false],
    status: ['text', false],
    model: ['text', true],
    prompt_tokens: ['integer', false],
    completion_tokens: ['integer', false],
    idempotency_key: ['text', true],
    request_hash: ['text', true],
    error: ['text', true],
    stop_requested_at: ['timestamp with time zone', true],
    truncated: ['boolean', false],
    created_at: ['timestamp with time zone', false],
    updated_at: ['timestamp with time zone', false],
    content_tsv: ['tsvector', false],
  },
  usage_daily: {
    user_id: ['text', true],
    day: ['date', false],
    model: ['text', false],
    requests: ['integer', false],
    prompt_tokens: ['integer', false],
    completion_tokens: ['integer', false],
    cost_micros: ['bigint', false],
  },
  audit_events: {
    id: ['uuid', false],
    occurred_at: ['timestamp with time zone', false],
    actor_id: ['text', true],
    action: ['text', false],
    target_type: ['text', true],
    target_id: ['text', true],
    request_id: ['text', true],
    source_ip: ['text', true],
    user_agent: ['text', true],
    details: ['jsonb', false],
  },
  message_feedback: {
    message_id: ['uuid', false],
    owner_id: ['text', false],
    conversation_id: ['uuid', true],
    model: ['text', true],
    rating: ['text', false],
    reason: ['text', true],
    comment: ['text', true],
    created_at: ['timestamp with time zone', false],
    updated_at: ['timestamp with time zone', false],
  },
  download_slots: {
    owner_id: ['text', false],
    slot: ['smallint', false],
    token: ['uuid', false],
    expires_at: ['timestamp with time zone', false],
  },
};

let db: Kysely<Database>;

beforeAll(() => {
  db = testDatabase();
});
afterAll(async () => {
  await db.destroy();
});

async function expectSqlState(promise: Promise<unknown>, state: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected SQLSTATE ${state}`).toBeDefined();
  expect(sqlStateOf(error)).toBe(state);
}

async function newConversation(ownerId: string) {
  return db
    .insertInto('conversations')
    .values({ owner_id: ownerId, title: 'Test' })
    .returningAll()
    .executeTakeFirstOrThrow();
}

describe('schema', () => {
  it('has exactly the tables and columns that schema.ts declares', async () => {
    // Prepare / Act
    const columns = await sql<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: string;
    }>`
      select table_name, column_name, data_type, is_nullable from information_schema.columns
      where table_schema = 'public' and table_name not like 'kysely_%'
    `.execute(db);
    const actual: Record<string, Record<string, [string, boolean]>> = {};
    for (const c of columns.rows) {
      (actual[c.table_name] ??= {})[c.column_name] = [c.data_type, c.is_nullable === 'YES'];
    }
    // Assess
    expect(actual).toEqual(expectedSchema);
  });

  it('generates content_tsv from content and indexes it with GIN', async () => {
    const generated = await sql<{ is_generated: string; generation_expression: string }>`
      select is_generated, generation_expression from information_schema.columns
      where table_name = 'messages' and column_name = 'content_tsv'
    `.execute(db);
    expect(generated.rows[0]?.is_generated).toBe('ALWAYS');
    expect(generated.rows[0]?.generation_expression).toContain("to_tsvector('simple'::regconfig, content)");

    const indexes = await db
      .selectFrom(sql<{ tablename: string; indexdef: string }>`pg_indexes`.as('i'))
      .select('indexdef')
      .where('tablename', '=', 'messages')
      .execute();
    // Search finds the caller's own matches through (owner_id, content_tsv) (btree_gin).
    expect(indexes.map((i) => i.indexdef)).toContainEqual(
      expect.stringMatching(/USING gin \(owner_id, content_tsv\)/),
    );

    const user = await createTestUser(db);
    const conversation = await newConversation(user.id);
    await db
      .insertInto('messages')
      .values({
        conversation_id: conversation.id,
        owner_id: user.id,
        role: 'user',
        content: 'Quarterly Budget review',
      })
      .execute();
    const found = await db
      .selectFrom('messages')
      .select('content')
      .where('owner_id', '=', user.id)
      .where(sql<boolean>`content_tsv @@ plainto_tsquery('simple', ${'budget'})`)
      .execute();
    expect(found).toEqual([{ content: 'Quarterly Budget review' }]);
  });

  it("has the (owner_id, content_tsv) GIN index for one owner's search, and the owner's newest-first index", async () => {
    // Which of the two a search takes depends on how many messages match (the planner's choice,
    // measured at scale in docs/performance.md); on this small table it would take either.
    const result = await sql<{ indexname: string; indexdef: string }>`
      select indexname, indexdef from pg_indexes
      where indexname in ('messages_owner_content_tsv_idx', 'messages_owner_created_idx')
      order by indexname
    `.execute(db);
    expect(result.rows.map((r) => r.indexdef.replace(/^.* USING /, ''))).toEqual([
      'gin (owner_id, content_tsv)',
      'btree (owner_id, created_at DESC, id DESC)',
    ]);
  });

  it('has an owner index on each table a user erasure cascades to by owner_id', async () => {
    // Every table with an owner_id, found rather than listed, so a new one cannot be missed.
    const owned = await sql<{ table_name: string }>`
      select table_name from information_schema.columns
      where table_schema = 'public' and column_name = 'owner_id'
      order by table_name
    `.execute(db);
    const indexed = await sql<{ tablename: string }>`
      select distinct tablename from pg_indexes
      where schemaname = 'public'
        and indexdef ~ ${'USING btree \\(owner_id[,)]'} and indexdef !~ ' WHERE '
      order by tablename
    `.execute(db);
    expect(owned.rows.map((r) => r.table_name)).toEqual([
      'conversations',
      'download_slots',
      'message_feedback',
      'messages',
    ]);
    expect(indexed.rows.map((r) => r.tablename)).toEqual(owned.rows.map((r) => r.table_name));
  });

  it("builds the indexes the runbook tells operators to build beforehand, with the runbook's definitions", async () => {
    // The runbook's statements must create exactly the migration's index, or `if not exists` in
    // the migration would keep a different one for good.
    const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
    const wanted = [
      ...runbook.matchAll(/^create index concurrently if not exists (\w+) on (\w+) \(([^)]*)\);$/gm),
    ];
    expect(wanted.length).toBeGreaterThanOrEqual(4);
    for (const [, name, table, columns] of wanted) {
      const result = await sql<{ indexdef: string }>`
        select indexdef from pg_indexes where indexname = ${name ?? ''}
      `.execute(db);
      const definition = (columns ?? '').replace(/ (desc|asc)\b/g, (m) => m.toUpperCase());
      expect(result.rows[0]?.indexdef, name).toBe(
        `CREATE INDEX ${name} ON public.${table} USING btree (${definition})`,
      );
    }
  });

  it('has the keyset index for listing conversations', async () => {
    const result = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where indexname = 'conversations_owner_keyset_idx'
    `.execute(db);
    expect(result.rows[0]?.indexdef).toMatch(
      /\(owner_id, updated_at DESC, id DESC\) WHERE \(deleted_at IS NULL\)/,
    );
  });
});

describe('audit_events', () => {
  it('accepts inserts with jsonb details defaulting to {}', async () => {
    const action = `test.${randomUUID()}`;
    await sql`insert into audit_events (action) values (${action})`.execute(db);
    const event = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', action)
      .executeTakeFirstOrThrow();
    expect(event.details).toEqual({});
    expect(event.occurred_at).toBeInstanceOf(Date);
  });

  it('rejects UPDATE, DELETE and TRUNCATE (append-only)', async () => {
    const action = `test.${randomUUID()}`;
    await db
      .insertInto('audit_events')
      .values({ action, details: JSON.stringify({ ip: '192.0.2.1' }) })
      .execute();

    await expect(
      sql`update audit_events set action = 'changed' where action = ${action}`.execute(db),
    ).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('audit_events').where('action', '=', action).execute()).rejects.toThrow(
      /append-only/,
    );
    // Inside a transaction that we roll back, so a broken trigger could not empty the shared table.
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`truncate audit_events`.execute(trx);
        throw new Error('trigger did not fire');
      }),
    ).rejects.toThrow(/append-only/);

    const still = await db.selectFrom('audit_events').select('action').where('action', '=', action).execute();
    expect(still).toHaveLength(1);
  });
});

describe('constraints', () => {
  it('rejects an unknown role, status or kind and accepts a null role', async () => {
    await expectSqlState(createTestUser(db, { role: 'superusers' as never }), '23514');
    await expectSqlState(createTestUser(db, { status: 'gone' as never }), '23514');
    await expectSqlState(createTestUser(db, { kind: 'robot' as never }), '23514');
    const user = await createTestUser(db, { role: null });
    expect(user).toMatchObject({
      role: null,
      status: 'active',
      kind: 'user',
      // null: the role's default applies (0011).
      monthly_token_quota: null,
      mfa_enabled: false,
    });
    expect(user.created_at).toBeInstanceOf(Date);
  });

  it('treats e-mail addresses as unique regardless of case', async () => {
    const email = `Case-${randomUUID()}@Example.test`;
    await createTestUser(db, { email });
    await expectSqlState(createTestUser(db, { email: email.toLowerCase() }), '23505');
  });

  it('rejects an unknown message role or status and a title over 200 characters', async () => {
    const user = await createTestUser(db);
    const conversation = await newConversation(user.id);
    const message = { conversation_id: conversation.id, owner_id: user.id, content: 'hi' };
    await expectSqlState(
      db
        .insertInto('messages')
        .values({ ...message, role: 'robot' as never })
        .execute(),
      '23514',
    );
    await expectSqlState(
      db
        .insertInto('messages')
        .values({ ...message, role: 'user', status: 'pending' as never })
        .execute(),
      '23514',
    );
    await expectSqlState(
      db
        .insertInto('conversations')
        .values({ owner_id: user.id, title: 'x'.repeat(201) })
        .execute(),
      '23514',
    );
    await db
      .insertInto('conversations')
      .values({ owner_id: user.id, title: 'x'.repeat(200) })
      .execute();
  });

  it('keeps an idempotency key unique per user, and allows many messages without one', async () => {
    const [alice, bob] = [await createTestUser(db), await createTestUser(db)];
    const aliceConversation = await newConversation(alice.id);
    const bobConversation = await newConversation(bob.id);
    const key = randomUUID();
    const message = (owner: string, conversation: string, idempotency_key: string | null) =>
      db
        .insertInto('messages')
        .values({
          conversation_id: conversation,
          owner_id: owner,
          role: 'user',
          content: 'x',
          idempotency_key,
        })
        .execute();

    await message(alice.id, aliceConversation.id, key);
    await expectSqlState(message(alice.id, aliceConversation.id, key), '23505');
    await message(bob.id, bobConversation.id, key);
    await message(alice.id, aliceConversation.id, null);
    await message(alice.id, aliceConversation.id, null);
  });

  it('deletes a user’s conversations and messages with the user', async () => {
    const user = await createTestUser(db);
    const conversation = await newConversation(user.id);
    await db
      .insertInto('messages')
      .values({ conversation_id: conversation.id, owner_id: user.id, role: 'user', content: 'x' })
      .execute();
    await db.deleteFrom('users').where('id', '=', user.id).execute();
    const left = await db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', conversation.id)
      .execute();
    expect(left).toEqual([]);
  });
});

describe('migrator', () => {
  it('does nothing when run again', async () => {
    const resultSet = await migrateToLatest(db);
    expect(resultSet.error).toBeUndefined();
    expect(resultSet.results).toEqual([]);
  });

  it('names the migration that failed', async () => {
    const scratch = await createScratchDatabase();
    const scratchDb = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: scratch.url, DB_POOL_MAX: 1 });
    try {
      await sql`create table conversations (id int)`.execute(scratchDb); // in the way of 0003
      const error = await migrateToLatest(scratchDb).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationFailedError);
      expect((error as MigrationFailedError).migrationName).toBe('0003-conversations');
      expect((error as Error).message).toMatch(/^Migration 0003-conversations failed: .*already exists/);
    } finally {
      await scratchDb.destroy();
      await scratch.drop();
    }
  });

  it('migrates a fresh database up, all the way down, and up again', async () => {
    const scratch = await createScratchDatabase();
    const scratchDb = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: scratch.url, DB_POOL_MAX: 1 });
    const tables = async () =>
      (
        await sql<{ table_name: string }>`
          select table_name from information_schema.tables
          where table_schema = 'public' and table_name not like 'kysely_%' order by table_name
        `.execute(scratchDb)
      ).rows.map((r) => r.table_name);
    try {
      const up = await migrateToLatest(scratchDb);
      expect(up.results?.map((r) => r.status)).toEqual(Object.keys(migrations).map(() => 'Success'));
      expect(await tables()).toEqual(Object.keys(expectedSchema).sort());

      const down = await migrateDownToNothing(scratchDb);
      expect(down.results?.map((r) => r.direction)).toEqual(Object.keys(migrations).map(() => 'Down'));
      expect(await tables()).toEqual([]);
      const functions = await sql`select 1 from pg_proc where proname = 'audit_events_reject_change'`.execute(
        scratchDb,
      );
      expect(functions.rows).toEqual([]);

      await migrateToLatest(scratchDb);
      expect(await tables()).toEqual(Object.keys(expectedSchema).sort());
    } finally {
      await scratchDb.destroy();
      await scratch.drop();
    }
  });
});
