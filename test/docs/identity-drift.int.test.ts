import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresUserAdmin } from '#admin/adapters/postgres-user-admin';
import { currentStanding } from '#shared/revocation/postgres-revocation-list';
import { createTestUser, testDatabase, testSql } from '../support/database';

/**
 * The runbook's identity-drift procedure disables the old row by hand (a person deleted in the
 * Cognito console and created again): its statement must leave the row as the API's disable
 * does, with `tokens_valid_after` set, or the erasure would count its hour from an older instant.
 */
const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The runbook's item for a Cognito user whose e-mail is another row's, up to the next section. */
function driftProcedure(): string {
  const runbook = read('docs/runbook.md');
  const start = runbook.indexOf("- **A Cognito user whose e-mail is another row's**");
  expect(start).toBeGreaterThan(-1);
  const end = runbook.indexOf('\n## ', start);
  return runbook.slice(start, end === -1 ? undefined : end);
}

/** The one `update users …` statement the procedure gives, in its code span. */
function disableStatement(): string {
  const statements = [...driftProcedure().matchAll(/`(update users set [^`]+)`/g)].map((m) => m[1] ?? '');
  expect(statements).toHaveLength(1);
  return statements[0] ?? '';
}

/** What the API's disable writes for `tokens_valid_after` (the users adapter's SET list). */
function apiRevocationAssignment(): string {
  const source = read('functions/admin/adapters/postgres-user-admin.ts');
  const match = /set\.push\(sql`(tokens_valid_after = [^`]+)`\)/.exec(source);
  expect(match).not.toBeNull();
  return match?.[1] ?? '';
}

const db = testDatabase();
const queries = testSql();
const userIds: string[] = [];
afterAll(async () => {
  if (userIds.length) await db.deleteFrom('users').where('id', 'in', userIds).execute();
  await db.destroy();
  await queries.destroy();
});

describe("the runbook's disable of an old row after identity drift", () => {
  it("sets what the API's disable sets: the status and since when tokens are refused", () => {
    const statement = disableStatement();

    expect(statement).toMatch(/status = 'disabled'/);
    expect(statement).toContain(apiRevocationAssignment());
    expect(statement).toMatch(/updated_at = now\(\)/);
    expect(statement).toMatch(/where id = '<existingUserId>';$/);
  });

  it('leaves the row disabled from the moment it runs, as the API does, not from an older revocation', async () => {
    // Prepare: two rows whose tokens were last revoked two days ago (a role change, say)
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    const [byHand, byApi] = await Promise.all(
      [0, 1].map(() => createTestUser(db, { tokens_valid_after: twoDaysAgo })),
    );
    if (!byHand || !byApi) throw new Error('no test users');
    userIds.push(byHand.id, byApi.id);
    const before = Date.now();

    // Act: the runbook's statement on one, the API's disable (its repository) on the other
    await sql.raw(disableStatement().replace('<existingUserId>', byHand.id)).execute(db);
    const users = postgresUserAdmin(queries, () => 100_000);
    await users.update(byApi.id, { status: 'disabled' }, new Date());

    // Assess
    for (const id of [byHand.id, byApi.id]) {
      const user = await users.get(id, new Date());
      expect(user?.status, id).toBe('disabled');
      // The erasure waits an hour from disabledAt: from now, not from two days ago.
      expect(Date.parse(user?.disabledAt ?? ''), id).toBeGreaterThanOrEqual(before - 1_000);
      const standing = await currentStanding(queries, id);
      expect(standing.disabled).toBe(true);
      expect(standing.validAfter?.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    }
    expect((await users.get(byHand.id, new Date()))?.email).toBe(`former-${byHand.id}@invalid`);
  });
});
