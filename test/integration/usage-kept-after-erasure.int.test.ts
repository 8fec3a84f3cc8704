import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDatabase } from '../../functions/shared/db/database';
import { createMigrator, migrateToLatest } from '../../functions/shared/db/migrator';
import type { Database } from '../../functions/shared/db/schema';
import { migrations } from '../../migrations/index';
import { createScratchDatabase } from '../support/scratch-database';

/*
 * Migration 0020 on a database that already holds usage, as a live one does: the rows stay as
 * they were, and from then on an erased person's usage stays without them (their user set to
 * null) instead of going with them.
 */
const MIGRATION = '0020-usage-daily-kept-after-erasure';

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Kysely<Database>;

const usageRows = () =>
  sql<{ user_id: string | null; day: string; model: string; requests: number; cost_micros: string }>`
    select user_id, to_char(day, 'YYYY-MM-DD') as day, model, requests, cost_micros from usage_daily
    order by day, model, requests`
    .execute(db)
    .then((result) => result.rows);

beforeAll(async () => {
  scratch = await createScratchDatabase('parley_usage_kept');
  db = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: scratch.url, DB_POOL_MAX: 1 });
  // Every migration before 0020, then usage as the chat writes it.
  const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < MIGRATION));
  const applied = await createMigrator(db, { migrations: before }).migrateToLatest();
  expect(applied.error).toBeUndefined();
  for (const id of ['ada', 'bob', 'cleo'])
    await db
      .insertInto('users')
      .values({ id, email: `${id}@example.test`, display_name: id, role: 'members' })
      .execute();
  await sql`
    insert into usage_daily (user_id, day, model, requests, prompt_tokens, completion_tokens, cost_micros)
    values ('ada', '2026-01-05', 'm', 3, 30, 15, 1000), ('bob', '2026-01-05', 'm', 2, 20, 10, 900),
      ('cleo', '2026-01-05', 'm', 1, 10, 5, 800), ('ada', '2026-01-06', 'm', 4, 40, 20, 700)
  `.execute(db);
});
afterAll(async () => {
  await db.destroy();
  await scratch.drop();
});

describe('migration 0020 (usage kept after an erasure)', () => {
  it('applies to a database holding usage, every row kept as it was', async () => {
    const before = await usageRows();

    const result = await migrateToLatest(db);

    expect(result.results?.map((r) => [r.migrationName, r.status])).toContainEqual([MIGRATION, 'Success']);
    expect(await usageRows()).toEqual(before);
    expect(before).toHaveLength(4);
  });

  it('keeps an erased person’s usage without them, and several erased people’s rows apart', async () => {
    // Act: two people of the same day and model go.
    await db.deleteFrom('users').where('id', 'in', ['ada', 'bob']).execute();

    // Assess
    expect(await usageRows()).toEqual([
      { user_id: 'cleo', day: '2026-01-05', model: 'm', requests: 1, cost_micros: '800' },
      { user_id: null, day: '2026-01-05', model: 'm', requests: 2, cost_micros: '900' },
      { user_id: null, day: '2026-01-05', model: 'm', requests: 3, cost_micros: '1000' },
      { user_id: null, day: '2026-01-06', model: 'm', requests: 4, cost_micros: '700' },
    ]);
  });

  it('still refuses a second row for one living user, day and model, and usage of no known user', async () => {
    const duplicate = sql`
      insert into usage_daily (user_id, day, model) values ('cleo', '2026-01-05', 'm')`.execute(db);
    const stranger = sql`
      insert into usage_daily (user_id, day, model) values ('nobody', '2026-01-05', 'm')`.execute(db);

    await expect(duplicate).rejects.toMatchObject({ code: '23505' });
    await expect(stranger).rejects.toMatchObject({ code: '23503' });
  });
});
