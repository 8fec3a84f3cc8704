import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import type { Queryable, Sql } from '#shared/db/sql';
import type { Role } from '#shared/domain/roles';
import type { UserChanges } from '#admin/domain/admin-user';
import { fakeIdentityProvider } from '#test/support/fakes/admin';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { postgresUserAdmin } from '../adapters/postgres-user-admin';
import type { AdminTransaction } from '../ports/user-admin';
import { makeUpdateUser } from './update-user';

/*
 * The admin change of a user on PostgreSQL, every statement it runs counted: the use case with
 * its real adapters, Cognito (the edge these tests cannot run) a hand-written fake.
 */
const db = testDatabase();
const queries = testSql();
const created: string[] = [];
afterAll(async () => {
  // The audit trail keeps its events (append-only), as it does for an erased user.
  if (created.length) await db.deleteFrom('users').where('id', 'in', created).execute();
  await queries.destroy();
  await db.destroy();
});

const NOW = new Date('2026-03-10T12:00:00Z');
/** An active admin in the database: a role or status change checks its caller still is one. */
const admin = await createTestUser(db, { role: 'admins' });
created.push(admin.id);
const caller = { userId: admin.id, kind: 'user', role: 'admins' } as const;

/** The database's clock, read on a connection of its own. */
async function databaseClock(): Promise<string> {
  const { rows } = await sql<{ at: string }>`select clock_timestamp()::text as at`.execute(db);
  return rows[0]?.at ?? '';
}

/** What the committed row says, the revocation's instant as the admin view writes it. */
async function committed(id: string) {
  const { rows } = await sql<{ role: string; status: string; refused_from: string | null }>`
    select role, status,
      to_char(tokens_valid_after at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as refused_from
    from users where id = ${id}`.execute(db);
  return rows[0];
}

async function setUp(changes: UserChanges) {
  const target = await createTestUser(db, { role: 'members' });
  created.push(target.id);
  const identity = fakeIdentityProvider();
  identity.add(target.email, { id: target.id, role: 'members' });
  /** The database's clock when each Cognito call was made. */
  const cognitoAt: string[] = [];
  const provider = {
    ...identity.provider,
    async signOut(username: string) {
      cognitoAt.push(await databaseClock());
      return identity.provider.signOut(username);
    },
    async addToGroup(username: string, group: Role) {
      cognitoAt.push(await databaseClock());
      return identity.provider.addToGroup(username, group);
    },
  };
  const statements: string[] = [];
  const changed: string[] = [];
  // Every statement of the request, as the adapters hand it to the driver.
  const counting = (tx: Queryable): Queryable => ({
    query<Row extends object = Record<string, unknown>>(statement: Sql) {
      statements.push(statement.toPg().text);
      return tx.query<Row>(statement);
    },
  });
  const transaction: AdminTransaction = (work) =>
    queries.transaction((tx) =>
      work({
        users: postgresUserAdmin(
          counting(tx),
          () => 100_000,
          (id) => changed.push(id),
        ),
        audit: postgresAuditLog(counting(tx)),
      }),
    );
  const update = makeUpdateUser({ transaction, identity: provider, now: () => NOW });
  const after = await update(caller, target.id, changes, `req-${randomUUID()}`);
  return { target, after, statements, changed, cognitoAt };
}

/** Reads of the user's row: the admin view of `users` (writes answer through RETURNING). */
const readsOfTheRow = (statements: readonly string[]) => statements.filter((s) => /\bfrom users u\b/.test(s));
const writesOfTheRevocation = (statements: readonly string[]) =>
  statements.filter((s) => /\btokens_valid_after\s*=/.test(s));

describe('updateUser on PostgreSQL', () => {
  it.each([
    ['a disable', { status: 'disabled' }],
    ['a role change', { role: 'auditors' }],
  ] as const)(
    'reads the row once (locked), and records the revocation once, after Cognito, for %s',
    async (_change, changes) => {
      // Act
      const { target, after, statements, changed, cognitoAt } = await setUp(changes);

      // Assess: one read, the locking one; one revocation.
      expect(readsOfTheRow(statements)).toEqual([expect.stringMatching(/for update of u\s*$/)]);
      expect(writesOfTheRevocation(statements)).toHaveLength(1);
      // The change holds, and the revocation's instant is later than every Cognito call.
      const row = await committed(target.id);
      expect(row).toMatchObject(changes);
      expect(cognitoAt.length).toBeGreaterThan(0);
      for (const at of cognitoAt) {
        const { rows } = await sql<{ later: boolean }>`
          select cast(${row?.refused_from ?? ''} as timestamptz) > cast(${at} as timestamptz) as later`.execute(
          db,
        );
        expect(rows[0]?.later, `after the Cognito call at ${at}`).toBe(true);
      }
      // The answer is the row as committed; the cache is told to refresh the user's standing.
      expect(after).toMatchObject({ id: target.id, ...changes });
      expect(after.disabledAt).toBe(after.status === 'disabled' ? row?.refused_from : null);
      expect(new Set(changed)).toEqual(new Set([target.id]));
    },
  );

  it('reads the row once and revokes nothing for a quota change', async () => {
    const { target, after, statements, changed } = await setUp({ monthlyTokens: 5_000 });

    expect(readsOfTheRow(statements)).toHaveLength(1);
    expect(writesOfTheRevocation(statements)).toEqual([]);
    expect(after).toMatchObject({ monthlyTokens: 5_000, quotaIsDefault: false });
    expect((await committed(target.id))?.refused_from).toBeNull();
    expect(changed).toEqual([target.id]);
  });
});
