import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TITLE } from '#conversations/domain/conversation';
import { createDatabase } from '#shared/db/database';
import { migrateToLatest } from '#shared/db/migrator';
import type { Database } from '#shared/db/schema';
import type { Queryable, Sql, SqlDatabase } from '#shared/db/sql';
import { createSqlDatabase } from '#shared/db/sql-database';
import {
  dataApiTestConfig,
  startDataApiOnPostgres,
  type DataApiOnPostgresServer,
} from '#test/support/data-api-on-postgres';
import { createTestUser, untilBlockedBy } from '#test/support/database';
import { createScratchDatabase } from '#test/support/scratch-database';
import { estimatePromptTokens, estimateReplyPromptTokens, tokensForBytes } from '../domain/context-window';
import { ConversationBusyError, NotLatestReplyError, RepliesInFlightError } from '../domain/message';
import { estimateCostMicros } from '../domain/pricing';
import type { ChatTurn } from '../ports/chat-model';
import { postgresAbandonedReplies, type AbandonedKeyset } from './postgres-abandoned-replies';
import { postgresMessages } from './postgres-message-repository';
import { promptSettingsOf } from '../domain/system-prompt';

/** The chat's default prompt settings (CHAT_CONTEXT_TOKENS' 12,000, the built-in instructions). */
const PROMPT = promptSettingsOf({ CHAT_CONTEXT_TOKENS: 12_000 });

/**
 * A reply left `streaming` by a function that died, in a conversation never written to again: no
 * turn finds it, so the retention run's sweep marks it failed and charges it, once, by the turn's
 * estimate. On a database of its own: the sweep takes every abandoned reply it finds, and test
 * files share the test database (postgres-messages-abandoned leaves such replies for its turns).
 */
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Kysely<Database>;
let pgSql: SqlDatabase;
let dataApi: DataApiOnPostgresServer;
let dataApiSql: SqlDatabase;

beforeAll(async () => {
  scratch = await createScratchDatabase('parley_abandoned');
  db = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: scratch.url, DB_POOL_MAX: 4 });
  await migrateToLatest(db);
  pgSql = createSqlDatabase({ DB_DRIVER: 'pg', DATABASE_URL: scratch.url, DB_POOL_MAX: 4 });
  dataApi = await startDataApiOnPostgres({ serverUrl: scratch.url });
  dataApiSql = createSqlDatabase(dataApiTestConfig(scratch.name), { rdsData: dataApi.client });
}, 60_000);

afterAll(async () => {
  await dataApiSql.destroy();
  await dataApi.close();
  await pgSql.destroy();
  await db.destroy();
  await scratch.drop();
});

const QUESTION = 'q'.repeat(80);
/** The text the reply kept: 400 characters, 1,000 bytes of UTF-8 (charged by its bytes). */
const KEPT = 'a'.repeat(200) + '潮'.repeat(200);
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
/** The usage day (UTC) of a moment, as `usage_daily.day` reads (the app's pools read dates as text). */
const dayOf = (at: Date) => at.toISOString().slice(0, 10);

/** A conversation whose last reply, `KEPT` so far, was last saved `savedAt` and is still `streaming`. */
async function replyLeftStreaming(ownerId: string, savedAt: Date, model = 'gpt-4o') {
  const { id: conversationId } = await db
    .insertInto('conversations')
    .values({ owner_id: ownerId, title: DEFAULT_TITLE, message_count: 2 })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: replyId } = await db
    .insertInto('messages')
    .values([
      {
        conversation_id: conversationId,
        owner_id: ownerId,
        role: 'user',
        content: QUESTION,
        status: 'complete',
        created_at: new Date(savedAt.getTime() - 60_000),
      },
      {
        conversation_id: conversationId,
        owner_id: ownerId,
        role: 'assistant',
        content: KEPT,
        status: 'streaming',
        model,
        created_at: new Date(savedAt.getTime() - 30_000),
        updated_at: savedAt,
      },
    ])
    .returning('id')
    .execute()
    .then((rows) => rows[1] ?? { id: '' });
  return { conversationId, replyId };
}

const usageOf = (ownerId: string) =>
  db
    .selectFrom('usage_daily')
    .select(['day', 'model', 'requests', 'prompt_tokens', 'completion_tokens', 'cost_micros'])
    .where('user_id', '=', ownerId)
    .execute();

const replyOf = (id: string) =>
  db
    .selectFrom('messages')
    .select(['status', 'error', 'content'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

/** Every batch of a sweep until one is not full, as the retention run calls it; the replies it charged. */
async function sweep(database: SqlDatabase, limit = 100): Promise<number> {
  const replies = postgresAbandonedReplies(database, PROMPT);
  let charged = 0;
  let after: AbandonedKeyset | undefined;
  for (;;) {
    const batch = await replies.chargeBatch(after, limit);
    charged += batch.charged;
    after = batch.last ?? after;
    if (batch.found < limit) return charged;
  }
}

/** The estimate a turn charges for an abandoned reply of `replyLeftStreaming` (its question as the history). */
const estimated = (model: string) => {
  const promptTokens = estimateReplyPromptTokens(PROMPT, null, [{ role: 'user', content: QUESTION }]);
  const completionTokens = tokensForBytes(Buffer.byteLength(KEPT));
  return {
    model,
    requests: 1,
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    cost_micros: estimateCostMicros(model, promptTokens, completionTokens),
  };
};

describe.each([
  ['node-postgres', () => pgSql],
  ['the Data API', () => dataApiSql],
])('the sweep of abandoned replies, on %s', (_driver, database) => {
  it('marks a reply no turn found failed and charges it once, by the turn’s estimate, to the day it was written', async () => {
    // Prepare: a reply last saved 10 minutes ago, in a conversation no one writes to again
    const owner = await createTestUser(db);
    const savedAt = minutesAgo(10);
    const { replyId } = await replyLeftStreaming(owner.id, savedAt);

    // Act: two runs
    const first = await sweep(database());
    const second = await sweep(database());

    // Assess: failed as a turn marks it, charged once to its owner, model and day
    expect([first, second]).toEqual([1, 0]);
    expect(await replyOf(replyId)).toEqual({
      status: 'failed',
      error: 'The reply was interrupted.',
      content: KEPT,
    });
    const usage = await usageOf(owner.id);
    expect(usage.map((row) => ({ ...row, cost_micros: Number(row.cost_micros) }))).toEqual([
      { day: dayOf(savedAt), ...estimated('gpt-4o') },
    ]);
    expect(Number(usage[0]?.cost_micros)).toBeGreaterThan(0);
    // The quota reads it: the month's usage (of the month it was written in) holds its tokens
    const monthly = await postgresMessages(database()).monthlyUsage(owner.id, savedAt);
    expect(monthly.used).toBe(estimated('gpt-4o').prompt_tokens + estimated('gpt-4o').completion_tokens);
  });

  it('charges a long conversation’s reply what its call was sent: the context window, not the whole history', async () => {
    // Prepare: 20 complete messages of 30,000 characters before the question; the owner's instructions
    const owner = await createTestUser(db);
    const instructions = 'Answer in French.';
    await db.updateTable('users').set({ instructions }).where('id', '=', owner.id).execute();
    const savedAt = minutesAgo(10);
    const { conversationId } = await replyLeftStreaming(owner.id, savedAt);
    const earlier: ChatTurn[] = Array.from({ length: 20 }, (_, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: String(i % 10).repeat(30_000),
    }));
    await db
      .insertInto('messages')
      .values(
        earlier.map((turn, i) => ({
          conversation_id: conversationId,
          owner_id: owner.id,
          role: turn.role === 'assistant' ? ('assistant' as const) : ('user' as const),
          content: turn.content,
          status: 'complete' as const,
          created_at: new Date(savedAt.getTime() - 3_600_000 + i * 1000),
        })),
      )
      .execute();

    // Act
    const charged = await sweep(database());

    // Assess: the estimate a turn or a regeneration charges (one function), within the budget
    const history: ChatTurn[] = [...earlier, { role: 'user', content: QUESTION }];
    const promptTokens = estimateReplyPromptTokens(PROMPT, instructions, history);
    expect(charged).toBe(1);
    expect((await usageOf(owner.id)).map((row) => row.prompt_tokens)).toEqual([promptTokens]);
    expect(promptTokens).toBeLessThanOrEqual(PROMPT.contextBudgetTokens + 4 * 3);
    expect(estimatePromptTokens(history)).toBeGreaterThan(150_000);
  });

  it('charges, by the turn’s estimate, a reply whose conversation’s turn was refused for the replies in flight', async () => {
    // Prepare: the owner's one slot taken by a reply being written in another conversation
    const owner = await createTestUser(db);
    const savedAt = minutesAgo(10);
    const { conversationId, replyId } = await replyLeftStreaming(owner.id, savedAt);
    await replyLeftStreaming(owner.id, minutesAgo(1));

    // Act: the refused message, then the run
    const refused = await postgresMessages(database())
      .startTurn({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        content: 'Are you there?',
        model: 'gpt-4o-mini',
        titleIfFirst: 'A title',
        maxRepliesInFlight: 1,
      })
      .catch((e: unknown) => e);
    const usageAfterRefusal = await usageOf(owner.id);
    const charged = await sweep(database());

    // Assess: the refusal charged nothing (it read no history: its prompt would be 0 tokens); the
    // sweep charged the reply once, what its call was sent
    expect(refused).toBeInstanceOf(RepliesInFlightError);
    expect(usageAfterRefusal).toEqual([]);
    expect(charged).toBe(1);
    expect((await replyOf(replyId)).status).toBe('failed');
    expect(
      (await usageOf(owner.id)).map((row) => ({ ...row, cost_micros: Number(row.cost_micros) })),
    ).toEqual([{ day: dayOf(savedAt), ...estimated('gpt-4o') }]);
  });

  it('leaves a reply still being written (saved within the abandonment age) alone', async () => {
    const owner = await createTestUser(db);
    const { replyId } = await replyLeftStreaming(owner.id, minutesAgo(2));

    const charged = await sweep(database());

    expect(charged).toBe(0);
    expect((await replyOf(replyId)).status).toBe('streaming');
    expect(await usageOf(owner.id)).toEqual([]);
  });

  it('charges each of an owner’s abandoned replies, summed per day and model, in batches', async () => {
    // Prepare: three of one owner on one day and model (one statement may not upsert a row twice),
    // one of another model, one of the day before; batches of two
    const owner = await createTestUser(db);
    const today = minutesAgo(10);
    const yesterday = new Date(today.getTime() - 86_400_000);
    for (let i = 0; i < 3; i++) await replyLeftStreaming(owner.id, new Date(today.getTime() - i * 1000));
    await replyLeftStreaming(owner.id, today, 'gpt-4o-mini');
    await replyLeftStreaming(owner.id, yesterday);

    const charged = await sweep(database(), 2);

    expect(charged).toBe(5);
    const usage = await usageOf(owner.id);
    const one = estimated('gpt-4o');
    const three = {
      ...one,
      requests: 3,
      prompt_tokens: 3 * one.prompt_tokens,
      completion_tokens: 3 * one.completion_tokens,
      cost_micros: 3 * one.cost_micros,
    };
    expect(
      usage
        .map((row) => ({ ...row, cost_micros: Number(row.cost_micros) }))
        .sort((a, b) => `${a.day}${a.model}`.localeCompare(`${b.day}${b.model}`)),
    ).toEqual(
      [
        { day: dayOf(yesterday), ...one },
        { day: dayOf(today), ...three },
        { day: dayOf(today), ...estimated('gpt-4o-mini') },
      ].sort((a, b) => `${a.day}${a.model}`.localeCompare(`${b.day}${b.model}`)),
    );
  });
});

/** A SqlDatabase whose every statement runs in `tx` (a turn kept open by its test). */
const inTransaction = (tx: Queryable): SqlDatabase => ({
  query: <Row extends object>(statement: Sql) => tx.query<Row>(statement),
  transaction: <T>(work: (inner: Queryable) => Promise<T>) => work(tx),
  destroy: () => Promise.resolve(),
});

const turnIn = (database: SqlDatabase, ownerId: string, conversationId: string) =>
  postgresMessages(database).startTurn({
    prompt: PROMPT,
    ownerId,
    conversationId,
    content: 'Are you there?',
    model: 'gpt-4o-mini',
    titleIfFirst: 'A title',
  });

/** The abandoned reply's charge (model gpt-4o): the requests its owner was charged for it. */
const chargedRequests = async (ownerId: string) =>
  (await usageOf(ownerId))
    .filter((row) => row.model === 'gpt-4o')
    .reduce((sum, row) => sum + row.requests, 0);

describe('the sweep and a turn in the reply’s conversation at once', () => {
  it('charges once when the sweep marks the reply while the turn waits for the conversation, and the turn starts', async () => {
    // Prepare: the conversation locked by another session, so the turn waits with the reply
    // still `streaming` in its snapshot
    const owner = await createTestUser(db);
    const { conversationId, replyId } = await replyLeftStreaming(owner.id, minutesAgo(10));
    const blocker = new pg.Client({ connectionString: scratch.url });
    await blocker.connect();
    try {
      const pid = Number(
        (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid,
      );
      await blocker.query('begin');
      await blocker.query('select 1 from conversations where id = $1 for update', [conversationId]);
      const turn = turnIn(pgSql, owner.id, conversationId);
      await untilBlockedBy(db, pid);

      // Act: the sweep meanwhile, then the conversation is let go
      const charged = await sweep(pgSql);
      await blocker.query('commit');
      const started = await turn;

      // Assess: one charge, whichever marked it; the turn was not refused as busy
      expect(charged).toBe(1);
      expect(started.kind).toBe('started');
      expect(await chargedRequests(owner.id)).toBe(1);
      expect((await replyOf(replyId)).status).toBe('failed');
    } finally {
      await blocker.end();
    }
  });

  it('charges once when the turn marks the reply first: the sweep passes over it without waiting', async () => {
    // Prepare: a turn that marked and charged the reply, its transaction still open
    const owner = await createTestUser(db);
    const { conversationId, replyId } = await replyLeftStreaming(owner.id, minutesAgo(10));
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let turned = () => {};
    const turnDone = new Promise<void>((resolve) => (turned = resolve));
    const turn = pgSql.transaction(async (tx) => {
      await turnIn(inTransaction(tx), owner.id, conversationId);
      turned();
      await held;
    });
    await turnDone;

    // Act: the sweep while the turn holds its locks, then again after it committed
    const during = await sweep(pgSql);
    release();
    await turn;
    const afterwards = await sweep(pgSql);

    // Assess
    expect([during, afterwards]).toEqual([0, 0]);
    expect(await chargedRequests(owner.id)).toBe(1);
    expect((await replyOf(replyId)).status).toBe('failed');
  });

  it('charges each reply once when turns and sweeps run together', async () => {
    const owner = await createTestUser(db);
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => replyLeftStreaming(owner.id, minutesAgo(10))),
    );

    const results = await Promise.allSettled([
      ...replies.map(({ conversationId }) => turnIn(pgSql, owner.id, conversationId)),
      sweep(pgSql),
      sweep(dataApiSql),
    ]);

    // Turns of one owner may refuse each other (busy: they share the owner's lock), never twice charge
    for (const result of results)
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConversationBusyError);
    expect(await chargedRequests(owner.id)).toBe(5);
    for (const { replyId } of replies) expect((await replyOf(replyId)).status).toBe('failed');
  });
});

const regenerationIn = (database: SqlDatabase, ownerId: string, conversationId: string, replyId: string) =>
  postgresMessages(database).startRegeneration({
    prompt: PROMPT,
    ownerId,
    conversationId,
    replyId,
    model: 'gpt-4o-mini',
  });

describe('the sweep, a turn and a regeneration of the reply at once', () => {
  it('charges once when the sweep marks the reply while its regeneration waits for the conversation, and the regeneration starts', async () => {
    // Prepare: the conversation locked by another session, so the regeneration waits with the
    // reply still `streaming` (and abandoned) in its snapshot
    const owner = await createTestUser(db);
    const { conversationId, replyId } = await replyLeftStreaming(owner.id, minutesAgo(10));
    const blocker = new pg.Client({ connectionString: scratch.url });
    await blocker.connect();
    try {
      const pid = Number(
        (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid,
      );
      await blocker.query('begin');
      await blocker.query('select 1 from conversations where id = $1 for update', [conversationId]);
      const regeneration = regenerationIn(pgSql, owner.id, conversationId, replyId);
      await untilBlockedBy(db, pid);

      // Act: the sweep meanwhile, then the conversation is let go
      const charged = await sweep(pgSql);
      await blocker.query('commit');
      const started = await regeneration;

      // Assess: one charge, the sweep's; the reply is written again
      expect(charged).toBe(1);
      expect(started.assistantMessage).toMatchObject({ id: replyId, status: 'streaming', content: '' });
      expect(await chargedRequests(owner.id)).toBe(1);
      expect((await replyOf(replyId)).status).toBe('streaming');
    } finally {
      await blocker.end();
    }
  });

  it('charges once when the regeneration takes the reply first: the sweep passes over it, and finds it being written after', async () => {
    // Prepare: a regeneration that charged the reply and emptied it, its transaction still open
    const owner = await createTestUser(db);
    const { conversationId, replyId } = await replyLeftStreaming(owner.id, minutesAgo(10));
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let regenerated = () => {};
    const regenerationDone = new Promise<void>((resolve) => (regenerated = resolve));
    const regeneration = pgSql.transaction(async (tx) => {
      await regenerationIn(inTransaction(tx), owner.id, conversationId, replyId);
      regenerated();
      await held;
    });
    await regenerationDone;

    // Act: the sweep while the regeneration holds its locks, then again after it committed
    const during = await sweep(pgSql);
    release();
    await regeneration;
    const afterwards = await sweep(pgSql);

    // Assess
    expect([during, afterwards]).toEqual([0, 0]);
    expect(await chargedRequests(owner.id)).toBe(1);
    expect((await replyOf(replyId)).status).toBe('streaming');
  });

  it('charges once when a turn and the regeneration find the reply together', async () => {
    // Prepare: both wait for the conversation
    const owner = await createTestUser(db);
    const { conversationId, replyId } = await replyLeftStreaming(owner.id, minutesAgo(10));
    const blocker = new pg.Client({ connectionString: scratch.url });
    await blocker.connect();
    try {
      const pid = Number(
        (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid,
      );
      await blocker.query('begin');
      await blocker.query('select 1 from conversations where id = $1 for update', [conversationId]);
      const both = Promise.allSettled([
        turnIn(pgSql, owner.id, conversationId),
        regenerationIn(pgSql, owner.id, conversationId, replyId),
      ]);
      await untilBlockedBy(db, pid);

      // Act
      await blocker.query('commit');
      const [turn, regeneration] = await both;

      // Assess: one of them started (the other refused: busy, or no longer the latest reply),
      // and the abandoned reply was charged once
      const started = [turn, regeneration].filter((result) => result.status === 'fulfilled');
      expect(started).toHaveLength(1);
      for (const result of [turn, regeneration])
        if (result?.status === 'rejected')
          expect(
            result.reason instanceof ConversationBusyError || result.reason instanceof NotLatestReplyError,
          ).toBe(true);
      expect(await chargedRequests(owner.id)).toBe(1);
    } finally {
      await blocker.end();
    }
  });

  it('charges each reply once when regenerations and sweeps run together', async () => {
    const owner = await createTestUser(db);
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => replyLeftStreaming(owner.id, minutesAgo(10))),
    );

    const results = await Promise.allSettled([
      ...replies.map(({ conversationId, replyId }) =>
        regenerationIn(pgSql, owner.id, conversationId, replyId),
      ),
      sweep(pgSql),
      sweep(dataApiSql),
    ]);

    for (const result of results)
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConversationBusyError);
    expect(await chargedRequests(owner.id)).toBe(5);
  });
});

describe('the sweep and erased people', () => {
  it('charges a living owner’s reply beside an erased person’s usage rows, which it leaves as they are', async () => {
    // Prepare: a person charged today, then erased (their rows kept, user_id null), and another's
    // abandoned reply of the same day and model
    const erased = await createTestUser(db);
    const savedAt = minutesAgo(10);
    await db
      .insertInto('usage_daily')
      .values({
        user_id: erased.id,
        day: dayOf(savedAt),
        model: 'gpt-4o',
        requests: 7,
        prompt_tokens: 70,
        completion_tokens: 700,
        cost_micros: 7000,
      })
      .execute();
    await replyLeftStreaming(erased.id, savedAt);
    await db.deleteFrom('users').where('id', '=', erased.id).execute();
    const owner = await createTestUser(db);
    await replyLeftStreaming(owner.id, savedAt);
    const nullRowsBefore = await db
      .selectFrom('usage_daily')
      .selectAll()
      .where('user_id', 'is', null)
      .execute();

    // Act
    const charged = await sweep(pgSql);

    // Assess: the erased person's reply went with them; the other is charged to its owner alone
    expect(charged).toBe(1);
    expect(await chargedRequests(owner.id)).toBe(1);
    expect(await db.selectFrom('usage_daily').selectAll().where('user_id', 'is', null).execute()).toEqual(
      nullRowsBefore,
    );
    expect(nullRowsBefore).toContainEqual(expect.objectContaining({ requests: 7, cost_micros: '7000' }));
  });

  it('passes over the reply of a person being erased, without waiting, and charges nothing for it', async () => {
    // Prepare: an erasure not yet committed (it holds the person's row and their replies)
    const person = await createTestUser(db);
    await replyLeftStreaming(person.id, minutesAgo(10));
    const eraser = new pg.Client({ connectionString: scratch.url });
    await eraser.connect();
    try {
      await eraser.query('begin');
      await eraser.query('delete from users where id = $1', [person.id]);

      // Act: the sweep during the erasure, then after it
      const during = await sweep(pgSql);
      await eraser.query('commit');
      const afterwards = await sweep(pgSql);

      // Assess: nothing charged, nothing failed, the person and their replies gone
      expect([during, afterwards]).toEqual([0, 0]);
      expect(
        await db.selectFrom('usage_daily').selectAll().where('user_id', '=', person.id).execute(),
      ).toEqual([]);
      expect(await db.selectFrom('messages').selectAll().where('owner_id', '=', person.id).execute()).toEqual(
        [],
      );
    } finally {
      await eraser.end();
    }
  });
});
