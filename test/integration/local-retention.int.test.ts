import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../bin/local/dev-server';
import { migrateToLatest } from '../../functions/shared/db/migrator';
import type { Database } from '../../functions/shared/db/schema';
import { createScratchDatabase } from '../support/scratch-database';

/**
 * `npm start` runs the retention run as the deployed schedule does. On a database of its own: the
 * run erases every old deleted conversation it finds, and test files share the test database.
 */
const DAY = 86_400_000;
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Kysely<Database>;
let dataDir: string;
let server: DevServer | undefined;
const savedEnv = { ...process.env };

beforeAll(async () => {
  scratch = await createScratchDatabase('parley_local_retention');
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url }) }),
  });
  await migrateToLatest(db);
  dataDir = await mkdtemp(join(tmpdir(), 'parley-retention-'));
  process.env.DATABASE_URL = scratch.url;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  process.env = savedEnv;
  await db.destroy();
  await scratch.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the local server with the retention run', () => {
  it('erases a conversation deleted more than 30 days ago as it starts, keeps the others, and audits it', async () => {
    // Prepare: one conversation deleted 40 days ago, one deleted yesterday, one in use
    await db
      .insertInto('users')
      .values({ id: 'owner', email: 'owner@example.test', display_name: 'Owner', role: 'members' })
      .execute();
    const conversation = async (deletedDaysAgo: number | null) =>
      (
        await db
          .insertInto('conversations')
          .values({
            owner_id: 'owner',
            title: 'x',
            deleted_at: deletedDaysAgo === null ? null : new Date(Date.now() - deletedDaysAgo * DAY),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    const old = await conversation(40);
    const recent = await conversation(1);
    const open = await conversation(null);

    // Act
    server = await startDevServer({
      port: 0,
      cognitoPort: 0,
      dataDir,
      quiet: true,
      bootstrapAdmin: false,
      retention: true,
    });

    // Assess
    const left = (await db.selectFrom('conversations').select('id').execute()).map((c) => c.id);
    expect(left.sort()).toEqual([recent, open].sort());
    expect(left).not.toContain(old);
    const audit = await db.selectFrom('audit_events').select(['action', 'details']).execute();
    expect(audit).toEqual([
      {
        action: 'retention.purge',
        details: { erasedDeleted: 1, erasedInactive: 0, complete: true, deletedDays: 30, inactiveDays: null },
      },
    ]);
  }, 120_000);
});
