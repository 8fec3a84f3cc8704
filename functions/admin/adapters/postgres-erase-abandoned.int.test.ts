import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateReplyPromptTokens, tokensForBytes } from '#chat/domain/context-window';
import { estimateCostMicros } from '#chat/domain/pricing';
import { promptSettingsOf } from '#chat/domain/system-prompt';
import { postgresMessages } from '#chat/adapters/postgres-message-repository';
import { DEFAULT_TITLE } from '#conversations/domain/conversation';
import { sql, type SqlDatabase } from '#shared/db/sql';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase, testSql, untilBlockedBy } from '#test/support/database';
import { microsToDollars } from '../domain/usage';
import { postgresUserAdmin } from './postgres-user-admin';

/*
 * Erasing a person whose reply was abandoned (left `streaming` by a chat function that died, past
 * the abandonment age) and not yet charged by a turn or the retention sweep: the erasure charges
 * it before the delete, so the usage kept (user null, migration 0020) and the erasure's `usageKept`
 * hold its tokens, as the provider's invoice does. Each driver writes to a day of its own, far in
 * the past, which no other test uses: erased usage has no user to find it by.
 */
const db = testDatabase();
const queries = testSql();
const onDataApi = sqlOnDataApi();

/** Custom instructions and a context budget other than the default: the estimate must use both. */
const PROMPT = promptSettingsOf({
  CHAT_SYSTEM_PROMPT: 'You are the test assistant.',
  CHAT_CONTEXT_TOKENS: 4_000,
});
const MODEL = 'gpt-4o';
const QUESTION = 'q'.repeat(120);
/** The text the reply kept: 400 characters, 800 bytes of UTF-8 (charged by its bytes). */
const KEPT = 'a'.repeat(200) + 'é'.repeat(200);
const INSTRUCTIONS = 'Answer in verse.';
const DAYS = { pg: '2012-06-01', dataApi: '2012-06-02' } as const;
const roleQuota = () => 100_000;

const clearDays = () =>
  db
    .deleteFrom('usage_daily')
    .where('user_id', 'is', null)
    .where('day', 'in', [DAYS.pg, DAYS.dataApi])
    .execute();

const leftOver: string[] = [];
beforeAll(clearDays);
afterAll(async () => {
  await clearDays();
  if (leftOver.length) await db.deleteFrom('users').where('id', 'in', leftOver).execute();
  await db.destroy();
  await queries.destroy();
});

/** A person with a conversation whose reply, `KEPT` so far, was last saved at `savedAt`, still `streaming`. */
async function ownerWithReply(savedAt: Date) {
  const owner = await createTestUser(db, { instructions: INSTRUCTIONS, status: 'disabled' });
  leftOver.push(owner.id);
  const { id: conversationId } = await db
    .insertInto('conversations')
    .values({ owner_id: owner.id, title: DEFAULT_TITLE, message_count: 2 })
    .returning('id')
    .executeTakeFirstOrThrow();
  const [, reply] = await db
    .insertInto('messages')
    .values([
      {
        conversation_id: conversationId,
        owner_id: owner.id,
        role: 'user',
        content: QUESTION,
        status: 'complete',
        created_at: new Date(savedAt.getTime() - 60_000),
      },
      {
        conversation_id: conversationId,
        owner_id: owner.id,
        role: 'assistant',
        content: KEPT,
        status: 'streaming',
        model: MODEL,
        created_at: new Date(savedAt.getTime() - 30_000),
        updated_at: savedAt,
      },
    ])
    .returning('id')
    .execute();
  return { owner, replyId: reply?.id ?? '' };
}

const keptOn = (day: string) =>
  db
    .selectFrom('usage_daily')
    .select(['user_id', 'model', 'requests', 'prompt_tokens', 'completion_tokens', 'cost_micros'])
    .where('user_id', 'is', null)
    .where('day', '=', day)
    .execute();

/** What a turn, a regeneration or the sweep charges for the reply of `ownerWithReply`. */
const promptTokens = estimateReplyPromptTokens(PROMPT, INSTRUCTIONS, [{ role: 'user', content: QUESTION }]);
const completionTokens = tokensForBytes(Buffer.byteLength(KEPT));
const costMicros = estimateCostMicros(MODEL, promptTokens, completionTokens);

describe.each([
  ['PostgreSQL', () => queries as SqlDatabase, DAYS.pg],
  ['the Data API', () => onDataApi.db(), DAYS.dataApi],
])('postgresUserAdmin.erase of a person with an abandoned reply on %s', (_driver, database, day) => {
  it('charges the reply once, by the chat’s estimate, to its day, and counts it in the usage kept', async () => {
    // Prepare: abandoned hours ago (the abandonment age is minutes), on a day of its own.
    const { owner } = await ownerWithReply(new Date(`${day}T10:00:00Z`));

    // Act
    const erased = await database().transaction((tx) =>
      postgresUserAdmin(tx, roleQuota, undefined, PROMPT).erase(owner.id, owner.email),
    );

    // Assess
    expect(await keptOn(day)).toEqual([
      {
        user_id: null,
        model: MODEL,
        requests: 1,
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        cost_micros: String(costMicros),
      },
    ]);
    expect(erased).toEqual({
      conversations: 1,
      messages: 2,
      usageKept: { requests: 1, promptTokens, completionTokens, costUsd: microsToDollars(costMicros) },
    });
    expect(await db.selectFrom('messages').select('id').where('owner_id', '=', owner.id).execute()).toEqual(
      [],
    );
    await clearDays();
  });

  it('charges nothing for a reply still being written (saved within the abandonment age): it goes with the person', async () => {
    // Prepare: saved a minute ago, as a live chat function does.
    const { owner, replyId } = await ownerWithReply(new Date(Date.now() - 60_000));

    // Act
    const erased = await database().transaction((tx) =>
      postgresUserAdmin(tx, roleQuota, undefined, PROMPT).erase(owner.id, owner.email),
    );

    // Assess: nothing charged, the reply deleted with the rest.
    expect(erased.usageKept).toEqual({ requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 });
    expect(erased.messages).toBe(2);
    expect(await db.selectFrom('messages').select('id').where('id', '=', replyId).execute()).toEqual([]);
    // Its function's end then finds no reply to end: it fails (the stream reports the error) and
    // charges no one, leaving no usage row for a person who no longer exists.
    const ended = postgresMessages(database()).finishTurn({
      ownerId: owner.id,
      assistantId: replyId,
      content: KEPT,
      status: 'complete',
      model: MODEL,
      promptTokens: 10,
      completionTokens: 10,
      costMicros: 1,
    });
    await expect(ended).rejects.toThrow();
    expect(
      await db.selectFrom('usage_daily').select('day').where('user_id', '=', owner.id).execute(),
    ).toEqual([]);
  });
});

describe('postgresUserAdmin.erase and the retention sweep', () => {
  it('waits for a sweep that locked the reply first and does not charge it again', async () => {
    // Prepare: a transaction holds the reply locked and marks it, as a sweep that took it before
    // the erasure took the owner does (its charge, to the owner, is not modelled here).
    const { owner, replyId } = await ownerWithReply(new Date(`${DAYS.pg}T11:00:00Z`));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let sweepPid!: number;
    let marked!: () => void;
    const markedOnce = new Promise<void>((resolve) => (marked = resolve));
    const sweep = queries.transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>(sql`select pg_backend_pid() as pid`);
      sweepPid = rows[0]?.pid ?? 0;
      await tx.query(
        sql`update messages set status = 'failed', updated_at = now() where id = cast(${replyId} as uuid)`,
      );
      marked();
      await held;
    });
    await markedOnce;

    // Act: the erasure (holding the owner's row, as the use case does) waits for the sweep.
    const erasure = queries.transaction(async (tx) => {
      const users = postgresUserAdmin(tx, roleQuota, undefined, PROMPT);
      await users.get(owner.id, new Date());
      return users.erase(owner.id, owner.email);
    });
    await untilBlockedBy(db, sweepPid);
    release();
    await sweep;
    const erased = await erasure;

    // Assess: the sweep's mark stands; the erasure charged nothing more.
    expect(erased.usageKept?.requests).toBe(0);
    expect(await keptOn(DAYS.pg)).toEqual([]);
  });
});
