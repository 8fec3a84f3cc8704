import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDatabase } from '../../functions/shared/db/database';
import { createMigrator, migrateToLatest } from '../../functions/shared/db/migrator';
import type { Database } from '../../functions/shared/db/schema';
import { migrations } from '../../migrations/index';
import { createScratchDatabase } from '../support/scratch-database';

/*
 * Migration 0025 on a database that already holds feedback, as a live one does: every row gains
 * its reply's conversation and model, which the admin list now reads instead of the reply.
 */
const MIGRATION = '0025-message-feedback-conversation-model';

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Kysely<Database>;
const ids = {
  live: '00000000-0000-4000-8000-000000000001',
  deleted: '00000000-0000-4000-8000-000000000002',
  first: '00000000-0000-4000-8000-000000000011',
  second: '00000000-0000-4000-8000-000000000012',
  other: '00000000-0000-4000-8000-000000000013',
} as const;

beforeAll(async () => {
  scratch = await createScratchDatabase('parley_feedback_backfill');
  db = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: scratch.url, DB_POOL_MAX: 1 });
  // Every migration before 0025, then feedback as the previous release writes it.
  const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < MIGRATION));
  const applied = await createMigrator(db, { migrations: before }).migrateToLatest();
  expect(applied.error).toBeUndefined();
  await sql`insert into users (id, email, display_name, role) values ('ada', 'ada@example.test', 'Ada', 'members')`.execute(
    db,
  );
  await sql`
    insert into conversations (id, owner_id, title, deleted_at)
    values (${ids.live}, 'ada', 'Live', null), (${ids.deleted}, 'ada', 'Deleted', now())`.execute(db);
  await sql`
    insert into messages (id, conversation_id, owner_id, role, content, status, model)
    values (${ids.first}, ${ids.live}, 'ada', 'assistant', 'One.', 'complete', 'model-a'),
      (${ids.second}, ${ids.live}, 'ada', 'assistant', 'Two.', 'complete', 'model-b'),
      (${ids.other}, ${ids.deleted}, 'ada', 'assistant', 'Three.', 'complete', 'model-a')`.execute(db);
  await sql`
    insert into message_feedback (message_id, owner_id, rating)
    values (${ids.first}, 'ada', 'up'), (${ids.second}, 'ada', 'down'), (${ids.other}, 'ada', 'up')`.execute(
    db,
  );
});
afterAll(async () => {
  await db.destroy();
  await scratch.drop();
});

describe('migration 0025 (feedback keeps its conversation and model)', () => {
  it("fills in every stored row's conversation and model from its reply", async () => {
    // Act
    const result = await migrateToLatest(db);

    // Assess
    expect(result.results?.map((r) => [r.migrationName, r.status])).toContainEqual([MIGRATION, 'Success']);
    const rows = await db
      .selectFrom('message_feedback')
      .select(['message_id', 'conversation_id', 'model', 'rating'])
      .orderBy('message_id')
      .execute();
    expect(rows).toEqual([
      { message_id: ids.first, conversation_id: ids.live, model: 'model-a', rating: 'up' },
      { message_id: ids.second, conversation_id: ids.live, model: 'model-b', rating: 'down' },
      { message_id: ids.other, conversation_id: ids.deleted, model: 'model-a', rating: 'up' },
    ]);
  });
});
