import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sql, sql, type Queryable } from '#shared/db/sql';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { postgresAuditTrail } from './postgres-audit-trail';

/*
 * Who did what, for auditors, who may not read the users list: each event names the actor's and
 * a target user's e-mail as they are now, and the actor filter takes an e-mail as well as an id.
 */
const db = testDatabase();
const queries = testSql();
const onDataApi = sqlOnDataApi();

const run = randomBytes(4).toString('hex');
let admin: { id: string; email: string };
let member: { id: string; email: string };
/** A person erased since: the trail keeps their id, no e-mail is left. */
let leaver: { id: string; email: string };
const made: string[] = [];

beforeAll(async () => {
  admin = await createTestUser(db, { email: `Auditor.Case-${run}@Example.test` });
  member = await createTestUser(db);
  leaver = await createTestUser(db);
  made.push(admin.id, member.id);
  const event = (
    occurredAt: string,
    actorId: string | null,
    action: string,
    targetType: string | null,
    targetId: string | null,
  ) =>
    db
      .insertInto('audit_events')
      .values({
        occurred_at: occurredAt,
        actor_id: actorId,
        action,
        target_type: targetType,
        target_id: targetId,
        request_id: `req-${run}`,
        details: '{}',
      })
      .execute();
  await event('2026-05-01T10:00:00Z', admin.id, 'user.disable', 'user', member.id);
  await event('2026-05-01T11:00:00Z', leaver.id, 'user.quota-change', 'user', member.id);
  await event('2026-05-01T12:00:00Z', admin.id, 'user.role-change', 'user', leaver.id);
  // A conversation's id that happens to be a user's: not a user target, so no e-mail.
  await event('2026-05-01T13:00:00Z', member.id, 'conversation.delete', 'conversation', admin.id);
  await db.deleteFrom('users').where('id', '=', leaver.id).execute();
});
afterAll(async () => {
  await db.deleteFrom('users').where('id', 'in', made).execute();
  await db.destroy();
  await queries.destroy();
});

const people = (items: { actorEmail: string | null; action: string; targetEmail: string | null }[]) =>
  items.map(({ actorEmail, action, targetEmail }) => [actorEmail, action, targetEmail]);

describe.each([
  ['PostgreSQL', () => queries],
  ['the Data API', () => onDataApi.db()],
])('postgresAuditTrail.list, people, on %s', (_driver, database) => {
  it('names the actor and a target user by e-mail, null once erased or when the target is no user', async () => {
    const page = await postgresAuditTrail(database()).list({ limit: 10, target: member.id });
    const erasedTarget = await postgresAuditTrail(database()).list({ limit: 10, target: leaver.id });
    const notAUser = await postgresAuditTrail(database()).list({ limit: 10, target: admin.id });

    expect(people(page.items)).toEqual([
      [null, 'user.quota-change', member.email],
      [admin.email, 'user.disable', member.email],
    ]);
    expect(page.items[0]?.actorId).toBe(leaver.id);
    expect(people(erasedTarget.items)).toEqual([[admin.email, 'user.role-change', null]]);
    expect(people(notAUser.items)).toEqual([[member.email, 'conversation.delete', null]]);
  });

  it('filters by the actor’s e-mail, exactly and in any case, as by their id', async () => {
    const trail = postgresAuditTrail(database());

    const byId = await trail.list({ limit: 10, actor: admin.id });
    const byEmail = await trail.list({ limit: 10, actor: admin.email.toUpperCase() });
    const partial = await trail.list({ limit: 10, actor: admin.email.slice(1) });
    const wildcard = await trail.list({ limit: 10, actor: `%${run}%` });
    const erased = await trail.list({ limit: 10, actor: leaver.email });

    expect(byId.items.map((e) => e.action)).toEqual(['user.role-change', 'user.disable']);
    expect(byEmail.items).toEqual(byId.items);
    expect(partial.items).toEqual([]);
    expect(wildcard.items).toEqual([]);
    expect(erased.items).toEqual([]);
  });
});

describe('postgresAuditTrail.list by an actor’s e-mail', () => {
  it('reads the actor’s events from the (actor_id, occurred_at) index, the e-mail found by its own index', async () => {
    // Prepare: the plan of the very statement the adapter runs.
    const plan = await queries.transaction(async (tx) => {
      await tx.query(sql`set local enable_seqscan = off`);
      const lines: string[] = [];
      const explaining: Queryable = {
        async query<Row extends object>(statement: Sql) {
          const explained = new Sql(
            [`explain ${statement.strings[0] ?? ''}`, ...statement.strings.slice(1)],
            statement.values,
          );
          const result = await tx.query<{ 'QUERY PLAN': string }>(explained);
          // Only the listing is explained: report no events, so nothing else runs on its rows.
          if (/from audit_events e/.test(statement.strings.join(''))) {
            lines.push(...result.rows.map((row) => row['QUERY PLAN']));
            return { rows: [] as Row[], rowCount: 0 };
          }
          return tx.query<Row>(statement);
        },
      };

      // Act
      await postgresAuditTrail(explaining).list({ limit: 50, actor: admin.email });
      return lines.join('\n');
    });

    // Assess
    expect(plan).toMatch(/Index Scan using audit_events_actor_occurred_idx on audit_events e/);
    expect(plan).toMatch(/Index Cond: .*\bactor_id = /);
    expect(plan).toContain('users_email_lower_key');
  });
});
