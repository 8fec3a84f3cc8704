import { randomUUID } from 'node:crypto';

import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';

import { createDatabase } from '../../functions/shared/db/database';
import type { SqlDatabase } from '../../functions/shared/db/sql';
import { createSqlDatabase } from '../../functions/shared/db/sql-database';
import type { Database, NewUser, UserRow } from '../../functions/shared/db/schema';
import type { Role } from '../../functions/shared/domain/roles';
import type { TestIssuer } from './tokens';

/** The migrated test database of this run (see global-setup.ts). Destroy it in `afterAll`. */
export function testDatabase(): Kysely<Database> {
  return createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: inject('databaseUrl'), DB_POOL_MAX: 4 });
}

/** The query layer (sql.ts) on the same test database, as the handlers use it. Destroy it in `afterAll`. */
export function testSql(): SqlDatabase {
  return createSqlDatabase({ DB_DRIVER: 'pg', DATABASE_URL: inject('databaseUrl'), DB_POOL_MAX: 4 });
}

/** Inserts a user with a random id and e-mail (test files run in parallel on one database). */
export async function createTestUser(
  db: Kysely<Database>,
  overrides: Partial<NewUser> = {},
): Promise<UserRow> {
  const id = overrides.id ?? randomUUID();
  return db
    .insertInto('users')
    .values({
      id,
      email: `user-${id}@example.test`,
      display_name: `Test user ${id.slice(0, 8)}`,
      role: 'members',
      ...overrides,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The audit rows of one actor (test files share the database), oldest first. */
export function auditRowsOf(db: Kysely<Database>, actorId: string) {
  return db
    .selectFrom('audit_events')
    .select([
      'id',
      'actor_id',
      'action',
      'target_type',
      'target_id',
      'request_id',
      'source_ip',
      'user_agent',
      'details',
    ])
    .where('actor_id', '=', actorId)
    .orderBy('occurred_at')
    .execute();
}

const DAY_MS = 86_400_000;

/**
 * Inserts a conversation of `ownerId` last written `daysAgo` days ago (and deleted
 * `deletedDaysAgo` days ago when given), with a user message and a reply; resolves to its id.
 */
export async function createAgedConversation(
  db: Kysely<Database>,
  ownerId: string,
  daysAgo: number,
  deletedDaysAgo?: number,
): Promise<string> {
  const at = new Date(Date.now() - daysAgo * DAY_MS);
  const { id } = await db
    .insertInto('conversations')
    .values({
      owner_id: ownerId,
      title: 'Kept or not',
      created_at: at,
      updated_at: at,
      deleted_at: deletedDaysAgo === undefined ? null : new Date(Date.now() - deletedDaysAgo * DAY_MS),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const role of ['user', 'assistant'] as const)
    await db
      .insertInto('messages')
      .values({ conversation_id: id, owner_id: ownerId, role, content: `${role} text`, status: 'complete' })
      .execute();
  return id;
}

/**
 * Resolves once some backend waits for a lock that backend `pid` holds; fails the test when none
 * does within `timeoutMs` (what was to wait did not take the lock, or never asked for it).
 */
export async function untilBlockedBy(db: Kysely<Database>, pid: number, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    const { rows } = await sql<{ waiting: boolean }>`
      select exists (
        select 1 from pg_stat_activity
        where wait_event_type = 'Lock' and ${pid} = any(pg_blocking_pids(pid))
      ) as waiting`.execute(db);
    if (rows[0]?.waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no backend waited for a lock of backend ${pid} within ${timeoutMs} ms`);
}

/**
 * A transaction on a connection of its own that has run `text` and holds its locks until
 * `release`: the other side of a race, played deterministically (wait with `untilBlockedBy(pid)`).
 */
export async function holdingLocks(text: string, values: unknown[]) {
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
 * A person stored with `role` (null: in no group) and `overrides` of their row, and an access
 * token of `issuer` for them, as Cognito would issue it after sign-in.
 */
export async function signedInPerson(
  db: Kysely<Database>,
  issuer: Pick<TestIssuer, 'accessToken'>,
  role: Role | null = 'members',
  overrides: Partial<NewUser> = {},
): Promise<{ user: UserRow; token: string }> {
  const user = await createTestUser(db, { role, ...overrides });
  const token = issuer.accessToken({
    sub: user.id,
    username: user.email,
    'cognito:groups': role ? [role] : [],
  });
  return { user, token };
}
