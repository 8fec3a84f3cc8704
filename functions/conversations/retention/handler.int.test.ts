import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfig } from '#shared/config';
import { closeDatabase } from '#shared/db/database';
import { migrateToLatest } from '#shared/db/migrator';
import type { Database } from '#shared/db/schema';
import { createAgedConversation } from '#test/support/database';
import { createScratchDatabase } from '#test/support/scratch-database';

/**
 * The retention run end to end, on a database of its own: it erases every old row it finds, so it
 * must not meet other test files' conversations.
 */
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Kysely<Database>;

beforeAll(async () => {
  scratch = await createScratchDatabase('parley_retention');
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url }) }),
  });
  await migrateToLatest(db);
  Object.assign(process.env, {
    STAGE: 'test',
    DB_DRIVER: 'pg',
    DATABASE_URL: scratch.url,
    COGNITO_USER_POOL_ID: 'local_Retention',
    COGNITO_CLIENT_IDS: 'client',
    WEB_ORIGIN: 'https://chat.example.test',
    CONVERSATION_PURGE_DAYS: '30',
    CONVERSATION_RETENTION_DAYS: '365',
  });
  resetConfig();
});

afterAll(async () => {
  await closeDatabase();
  await db.destroy();
  await scratch.drop();
});

const conversation = (ownerId: string, daysAgo: number, deletedDaysAgo?: number) =>
  createAgedConversation(db, ownerId, daysAgo, deletedDaysAgo);

describe('the retention handler', () => {
  it('charges the abandoned replies, erases what the policy says and the lockout counters that no longer count, keeps the rest, and audits the conversations’ counts once', async () => {
    // Prepare
    await db
      .insertInto('users')
      .values({ id: 'owner', email: 'owner@example.test', display_name: 'Owner', role: 'members' })
      .execute();
    const deletedLongAgo = await conversation('owner', 100, 45);
    const deletedYesterday = await conversation('owner', 100, 1);
    const inactive = await conversation('owner', 400);
    const active = await conversation('owner', 2);
    // Replies whose function died, in conversations no one writes to again: one 10 minutes ago,
    // one in the conversation deleted long ago (charged before it is erased), one still written
    const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);
    const abandoned = (conversationId: string, savedAt: Date) => ({
      conversation_id: conversationId,
      owner_id: 'owner',
      role: 'assistant' as const,
      content: 'a'.repeat(400),
      status: 'streaming' as const,
      model: 'gpt-4o-mini',
      created_at: savedAt,
      updated_at: savedAt,
    });
    const tenMinutesAgo = minutesAgo(10);
    const longAgo = minutesAgo(100 * 1440);
    await db
      .insertInto('messages')
      .values([
        abandoned(active, tenMinutesAgo),
        abandoned(deletedLongAgo, longAgo),
        abandoned(deletedYesterday, minutesAgo(1)),
      ])
      .execute();
    // Lockout counters: one of a name typed a day ago, one failed a minute ago, one locked
    await db
      .insertInto('sign_in_attempts')
      .values([
        {
          username: 'sprayed@example.test',
          failed_count: 1,
          last_failed_at: minutesAgo(1440),
          updated_at: minutesAgo(1440),
        },
        {
          username: 'recent@example.test',
          failed_count: 2,
          last_failed_at: minutesAgo(1),
          updated_at: minutesAgo(1),
        },
        {
          username: 'locked@example.test',
          failed_count: 5,
          last_failed_at: minutesAgo(2),
          locked_until: minutesAgo(-13),
          updated_at: minutesAgo(2),
        },
      ])
      .execute();
    const { handler } = await import('./handler');

    // Act: as EventBridge invokes it, with a Lambda context (a part of it: what the run reads)
    const summary = await handler(
      {} as never,
      {
        getRemainingTimeInMillis: () => 300_000,
        awsRequestId: 'retention-run-1',
        functionName: 'parley-test-retention',
      } as never,
    );
    const again = await handler({} as never);

    // Assess
    expect(summary).toEqual({
      chargedAbandonedReplies: 2,
      erasedDeleted: 1,
      erasedInactive: 1,
      erasedSignInAttempts: 1,
      complete: true,
    });
    // Charged once each, to the owner, on the day each was written (the quota's months and the report's days)
    const usage = await db
      .selectFrom('usage_daily')
      .select([sql<string>`day::text`.as('day'), 'model', 'requests', 'completion_tokens'])
      .where('user_id', '=', 'owner')
      .orderBy('day')
      .execute();
    expect(usage).toEqual(
      [longAgo, tenMinutesAgo].map((at) => ({
        day: at.toISOString().slice(0, 10),
        model: 'gpt-4o-mini',
        requests: 1,
        completion_tokens: 100,
      })),
    );
    const replies = await db
      .selectFrom('messages')
      .select(['conversation_id', 'status'])
      .where('role', '=', 'assistant')
      .where('content', '=', 'a'.repeat(400))
      .execute();
    expect(replies.sort((a, b) => a.status.localeCompare(b.status))).toEqual([
      { conversation_id: active, status: 'failed' },
      { conversation_id: deletedYesterday, status: 'streaming' },
    ]);
    const counters = await db.selectFrom('sign_in_attempts').select('username').execute();
    expect(counters.map((c) => c.username).sort()).toEqual(['locked@example.test', 'recent@example.test']);
    const left = await db.selectFrom('conversations').select('id').execute();
    expect(left.map((c) => c.id).sort()).toEqual([deletedYesterday, active].sort());
    const messages = await db.selectFrom('messages').select('conversation_id').execute();
    expect(new Set(messages.map((m) => m.conversation_id))).toEqual(new Set([deletedYesterday, active]));
    const audit = await db.selectFrom('audit_events').select(['action', 'actor_id', 'details']).execute();
    expect(audit).toEqual([
      {
        action: 'retention.purge',
        actor_id: null,
        details: { erasedDeleted: 1, erasedInactive: 1, complete: true, deletedDays: 30, inactiveDays: 365 },
      },
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/user text|assistant text/);
    // A second run finds nothing more, and audits nothing
    expect(again).toEqual({
      chargedAbandonedReplies: 0,
      erasedDeleted: 0,
      erasedInactive: 0,
      erasedSignInAttempts: 0,
      complete: true,
    });
    expect(await db.selectFrom('usage_daily').select('requests').execute()).toHaveLength(2);
    expect(await db.selectFrom('audit_events').select('id').execute()).toHaveLength(1);
    expect([deletedLongAgo, inactive].some((id) => left.some((c) => c.id === id))).toBe(false);
  });

  /**
   * Holds the owner's row `for update` in a transaction of its own, as a turn in progress does,
   * while `act` runs; then commits.
   */
  async function whileOwnerLocked<T>(ownerId: string, act: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    const holder = db.transaction().execute(async (trx: Transaction<Database>) => {
      await sql`select id from users where id = ${ownerId} for update`.execute(trx);
      locked();
      await released;
    });
    await holding;
    try {
      return await act();
    } finally {
      release();
      await holder;
    }
  }

  /** A conversation deleted 40 days ago whose reply a function that died left being written, 40 days ago. */
  async function deletedWithAbandonedReply(ownerId: string) {
    await db
      .insertInto('users')
      .values({ id: ownerId, email: `${ownerId}@example.test`, display_name: 'Holder', role: 'members' })
      .execute();
    const id = await conversation(ownerId, 41, 40);
    const savedAt = new Date(Date.now() - 41 * 86_400_000);
    await db
      .insertInto('messages')
      .values({
        conversation_id: id,
        owner_id: ownerId,
        role: 'assistant',
        content: 'b'.repeat(400),
        status: 'streaming',
        model: 'gpt-4o-mini',
        created_at: savedAt,
        updated_at: savedAt,
      })
      .execute();
    return id;
  }

  const replyOf = (id: string) =>
    db
      .selectFrom('messages')
      .select('status')
      .where('conversation_id', '=', id)
      .where('role', '=', 'assistant')
      .where('content', '=', 'b'.repeat(400))
      .execute();
  const usageOf = (ownerId: string) =>
    db
      .selectFrom('usage_daily')
      .select(['requests', 'completion_tokens'])
      .where('user_id', '=', ownerId)
      .execute();

  it('keeps a conversation whose abandoned reply the sweep passed over (its owner locked by a turn), and charges then erases it at the next run', async () => {
    // Prepare
    const id = await deletedWithAbandonedReply('holder');
    const { runRetention } = await import('./handler');
    const timeLeft = () => 300_000;

    // Act: a turn of the owner's holds their row through the whole run; then the next run
    const held = await whileOwnerLocked('holder', () => runRetention(timeLeft));
    const replyWhileHeld = await replyOf(id);
    const usageWhileHeld = await usageOf('holder');
    const next = await runRetention(timeLeft);

    // Assess: the first run charged nothing and erased nothing of it, and is complete (nothing
    // stopped early: the reply waits for the next run, a day later); the next charges it once, then erases it
    expect(held).toEqual({
      chargedAbandonedReplies: 0,
      erasedDeleted: 0,
      erasedInactive: 0,
      erasedSignInAttempts: 0,
      complete: true,
    });
    expect(replyWhileHeld).toEqual([{ status: 'streaming' }]);
    expect(usageWhileHeld).toEqual([]);
    expect(next).toEqual({
      chargedAbandonedReplies: 1,
      erasedDeleted: 1,
      erasedInactive: 0,
      erasedSignInAttempts: 0,
      complete: true,
    });
    expect(await usageOf('holder')).toEqual([{ requests: 1, completion_tokens: 100 }]);
    expect(await db.selectFrom('conversations').select('id').where('id', '=', id).execute()).toEqual([]);
  });

  it('keeps a conversation whose abandoned reply a sweep stopped at its time limit did not reach, and reports the run incomplete', async () => {
    // Prepare
    const id = await deletedWithAbandonedReply('late');
    const { runRetention } = await import('./handler');
    // The sweep finds no time left for its first batch; the purge and the prune that follow do
    let asked = 0;
    const sweepOutOfTime = () => (++asked === 1 ? 0 : 300_000);

    // Act
    const stopped = await runRetention(sweepOutOfTime);

    // Assess
    expect(stopped).toEqual({
      chargedAbandonedReplies: 0,
      erasedDeleted: 0,
      erasedInactive: 0,
      erasedSignInAttempts: 0,
      complete: false,
    });
    expect(await replyOf(id)).toEqual([{ status: 'streaming' }]);
    expect(await usageOf('late')).toEqual([]);
    expect(await runRetention(() => 300_000)).toMatchObject({
      chargedAbandonedReplies: 1,
      erasedDeleted: 1,
      complete: true,
    });
  });
});
