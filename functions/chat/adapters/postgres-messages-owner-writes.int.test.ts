import { describe, expect, it } from 'vitest';
import { createTestUser, holdingLocks, untilBlockedBy } from '#test/support/database';
import { messageRows } from '#test/support/message-rows';
import { repositoryDrivers } from '#test/support/repository-drivers';
import { sql, type Sql, type SqlDatabase } from '#shared/db/sql';
import { RepliesInFlightError } from '../domain/message';
import type { StartTurnInput } from '../ports/message-repository';
import { postgresMessages } from './postgres-message-repository';
import { promptSettingsOf } from '../domain/system-prompt';

/** The chat's default prompt settings (CHAT_CONTEXT_TOKENS' 12,000, the built-in instructions). */
const PROMPT = promptSettingsOf({ CHAT_CONTEXT_TOKENS: 12_000 });

/**
 * A turn or a regeneration locks its owner's `users` row, and runs again when another turn of
 * theirs committed while it waited (`owner_stale`). Other writes to that row (instructions saved,
 * a sign-in, an admin's change of quota or role) are no turn: a turn that waited behind them
 * starts at once, however often they come. Each race is played deterministically: before each
 * turn statement, a second connection writes the row in an open transaction, and commits once
 * the statement waits for it.
 */
const { pgDb, pgSql, drivers } = repositoryDrivers();
const { conversationsOf, streamingOf } = messageRows(pgDb);

/** Whether `statement` is a turn's or a regeneration's: the ones that lock the owner's row. */
const locksOwner = (statement: Sql) => statement.strings.join('').includes('owner as materialized');

type Write = [text: string, values: unknown[]];

/**
 * `db`, with `write(n)` (none when undefined) run in an open transaction of its own before the
 * `n`th statement that locks the owner's row, committed once that statement waits for it.
 * `statements` counts those statements.
 */
function writtenDuringEachTurnStatement(db: SqlDatabase, write: (n: number) => Write | undefined) {
  const commits: Promise<void>[] = [];
  let statements = 0;
  const wrapped: SqlDatabase = {
    async query(statement) {
      if (locksOwner(statement)) {
        statements += 1;
        const next = write(statements);
        if (next) {
          const writer = await holdingLocks(...next);
          // Committed once the statement waits (and, should it never wait, all the same).
          commits.push(untilBlockedBy(pgDb, writer.pid).finally(writer.release));
        }
      }
      return db.query(statement);
    },
    transaction: (work) => db.transaction(work),
    destroy: () => db.destroy(),
  };
  return {
    db: wrapped,
    statements: () => statements,
    /** Every write committed; throws when a statement never waited for one. */
    settled: () => Promise.all(commits),
  };
}

const userRowOf = (ownerId: string) =>
  pgDb
    .selectFrom('users')
    .select(['instructions', 'monthly_token_quota'])
    .where('id', '=', ownerId)
    .executeTakeFirstOrThrow();

/** A save of the owner's instructions, as postgres-instructions.ts writes it. */
const saveInstructions =
  (ownerId: string) =>
  (n: number): Write => [
    'update users set instructions = $2, updated_at = now() where id = $1',
    [ownerId, `Answer in French (${n})`],
  ];

describe.each(drivers)('turns of an owner whose row is written meanwhile, on %s', (_driver, database) => {
  const turnInput = (ownerId: string, conversationId: string): StartTurnInput => ({
    prompt: PROMPT,
    ownerId,
    conversationId,
    content: 'Hi',
    model: 'gpt-4o-mini',
    titleIfFirst: 'Hi',
    maxRepliesInFlight: 2,
  });

  it('starts a turn that waited behind a save of the owner’s instructions at once, without running it again', async () => {
    // Prepare: the instructions are saved, not yet committed, when the turn's statement begins
    const owner = await createTestUser(pgDb);
    const [conversationId] = await conversationsOf(owner.id, 1);
    const written = writtenDuringEachTurnStatement(database(), (n) =>
      n === 1 ? saveInstructions(owner.id)(n) : undefined,
    );

    // Act
    const started = await postgresMessages(written.db)
      .startTurn(turnInput(owner.id, conversationId as string))
      .catch((error: unknown) => error);
    await written.settled();

    // Assess: one statement; the save is kept
    expect(started).toMatchObject({ kind: 'started' });
    expect(written.statements()).toBe(1);
    expect(await userRowOf(owner.id)).toMatchObject({ instructions: 'Answer in French (1)' });
    expect(await streamingOf(owner.id)).toHaveLength(1);
  });

  it('starts a turn, never answering busy, when the owner’s row is written during every attempt', async () => {
    // Prepare: a save of the instructions meets each of the turn's statements (a person saving
    // often, or an admin editing them); 2 replies in flight allow 5 attempts
    const owner = await createTestUser(pgDb);
    const [conversationId] = await conversationsOf(owner.id, 1);
    const written = writtenDuringEachTurnStatement(database(), saveInstructions(owner.id));

    // Act
    const started = await postgresMessages(written.db)
      .startTurn(turnInput(owner.id, conversationId as string))
      .catch((error: unknown) => error);
    await written.settled();

    // Assess
    expect(started).toMatchObject({ kind: 'started' });
    expect(written.statements()).toBe(1);
    expect(await streamingOf(owner.id)).toHaveLength(1);
  });

  it('starts a regeneration that waited behind an admin’s change of the quota at once, without running it again', async () => {
    // Prepare: a reply that has ended; each regeneration statement meets a change of the quota
    const owner = await createTestUser(pgDb);
    const [conversationId] = await conversationsOf(owner.id, 1);
    const first = await postgresMessages(database()).startTurn(turnInput(owner.id, conversationId as string));
    if (first.kind !== 'started') throw new Error('expected a started turn');
    await pgDb
      .updateTable('messages')
      .set({ status: 'complete', content: 'The first answer' })
      .where('id', '=', first.assistantMessage.id)
      .execute();
    const written = writtenDuringEachTurnStatement(database(), (n) => [
      'update users set monthly_token_quota = $2, updated_at = now() where id = $1',
      [owner.id, 100_000 + n],
    ]);

    // Act
    const regenerated = await postgresMessages(written.db)
      .startRegeneration({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId: conversationId as string,
        replyId: first.assistantMessage.id,
        model: 'gpt-4o-mini',
        maxRepliesInFlight: 2,
      })
      .catch((error: unknown) => error);
    await written.settled();

    // Assess
    expect(regenerated).toMatchObject({ assistantMessage: { status: 'streaming', content: '' } });
    expect(written.statements()).toBe(1);
    expect(await userRowOf(owner.id)).toMatchObject({ monthly_token_quota: 100_001 });
  });

  it('still runs a turn again when another turn of the owner committed while it waited, and counts that reply', async () => {
    // Prepare: a lock on the owner's row that writes nothing keeps turn A waiting, and turn B, in
    // another conversation, waiting behind A
    const owner = await createTestUser(pgDb);
    const [a, b] = await conversationsOf(owner.id, 2);
    const signIn = await holdingLocks('select 1 from users where id = $1 for update', [owner.id]);
    const turnA = postgresMessages(database())
      .startTurn({ ...turnInput(owner.id, a as string), maxRepliesInFlight: 1 })
      .catch((error: unknown) => error);
    // B's statements counted, with nothing written during them
    const countedB = writtenDuringEachTurnStatement(database(), () => undefined);
    let turnB: Promise<unknown> | undefined;
    try {
      await untilBlockedBy(pgDb, signIn.pid);
      const { rows } = await pgSql.query<{ pid: number }>(
        sql`select pid from pg_stat_activity
          where ${signIn.pid} = any(pg_blocking_pids(pid))`,
      );
      const pidOfA = rows[0]?.pid ?? 0;

      // Act: B's snapshot is taken before A commits; B waits for A, A for the sign-in
      turnB = postgresMessages(countedB.db)
        .startTurn({ ...turnInput(owner.id, b as string), maxRepliesInFlight: 1 })
        .catch((error: unknown) => error);
      await untilBlockedBy(pgDb, pidOfA);
    } finally {
      await signIn.release();
    }

    // Assess: B ran again, saw A's reply being written and kept to the limit of one
    expect(await turnA).toMatchObject({ kind: 'started' });
    expect(await turnB).toBeInstanceOf(RepliesInFlightError);
    expect(countedB.statements()).toBe(2);
    expect(await streamingOf(owner.id)).toEqual([{ conversation_id: a }]);
  });
});
