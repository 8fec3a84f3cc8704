import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase, testSql, untilBlockedBy } from '#test/support/database';
import { DEFAULT_TITLE } from '#conversations/domain/conversation';
import type { MessageRepository } from '../ports/message-repository';
import { postgresMessages } from './postgres-message-repository';
import { promptSettingsOf } from '../domain/system-prompt';

/** The chat's default prompt settings (CHAT_CONTEXT_TOKENS' 12,000, the built-in instructions). */
const PROMPT = promptSettingsOf({ CHAT_CONTEXT_TOKENS: 12_000 });

/**
 * Statements that meet another one at the same rows. Each race is played deterministically: a
 * second connection holds, in an open transaction, the row lock the other statement would hold
 * in a natural race, until the statement under test waits for it.
 */
const pgDb = testDatabase();
const pgSql = testSql();
const onDataApi = sqlOnDataApi();

afterAll(async () => {
  await pgSql.destroy();
  await pgDb.destroy();
});

/** A transaction on a connection of its own that has run `text` and holds its locks until `release`. */
async function holding(text: string, values: unknown[]) {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  await client.query('begin');
  await client.query(text, values);
  return {
    pid: rows[0]?.pid ?? 0,
    release: async () => {
      await client.query('commit');
      await client.end();
    },
  };
}

/**
 * `act`'s outcome (its value or its error) when it ran while `held` held its locks: they are let
 * go once `act` waits for one of them (and, should it never wait, all the same, so the failed
 * test holds no connection).
 */
async function whileHeld<T>(held: { pid: number; release: () => Promise<void> }, act: () => Promise<T>) {
  const outcome = act().then(
    (value) => value,
    (error: unknown) => error,
  );
  await untilBlockedBy(pgDb, held.pid).finally(held.release);
  return outcome;
}

async function conversationOf(ownerId: string): Promise<string> {
  const row = await pgDb
    .insertInto('conversations')
    .values({ owner_id: ownerId, title: DEFAULT_TITLE })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A turn started in the owner's conversation: its reply is being written. */
async function replyBeingWritten(repo: MessageRepository, ownerId: string, conversationId: string) {
  const started = await repo.startTurn({
    prompt: PROMPT,
    ownerId,
    conversationId,
    content: 'Hi',
    model: 'gpt-4o-mini',
    titleIfFirst: 'Hi',
  });
  if (started.kind !== 'started') throw new Error('expected a started turn');
  return started;
}

describe.each([
  ['node-postgres', () => pgSql],
  ['the Data API', () => onDataApi.db()],
])('races on %s', (_driver, database) => {
  it('answers a Stop that meets the reply ending as ended, and leaves the whole reply unstopped', async () => {
    // Prepare: the reply's end is written (complete) but not yet committed, as finishTurn holds it
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const repo = postgresMessages(database());
    const started = await replyBeingWritten(repo, owner.id, conversationId);
    const messageId = started.assistantMessage.id;
    const ending = await holding(
      `update messages set status = 'complete', content = 'The whole answer' where id = $1`,
      [messageId],
    );

    // Act: Stop read the reply as streaming, then waits for its row until the end commits
    const outcome = await whileHeld(ending, () =>
      repo.requestStop({ ownerId: owner.id, conversationId, messageId }),
    );

    // Assess
    expect(outcome).toBe('ended');
    const row = await pgDb
      .selectFrom('messages')
      .select(['status', 'stop_requested_at'])
      .where('id', '=', messageId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'complete', stop_requested_at: null });
    const [read] = (await repo.list(owner.id, conversationId, { limit: 10 }))?.items.slice(-1) ?? [];
    expect(read).toMatchObject({ status: 'complete', stopped: false });
  });
});
