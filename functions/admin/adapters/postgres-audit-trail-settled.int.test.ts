import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { sql, type Queryable } from '#shared/db/sql';
import { decodeCursor } from '#shared/pagination/cursor';
import { testSql } from '#test/support/database';
import type { AuditEntry } from '../domain/audit-entry';
import type { AuditQuery } from '../ports/audit-trail';
import { postgresAuditTrail } from './postgres-audit-trail';

/*
 * An admin change writes its event, then waits for Cognito before it commits. A reader paging
 * through the trail meanwhile must not pass over that event's place and never come back: the
 * event must turn up in the pages read after it commits, or everything newer must wait with it.
 */
const queries = testSql();
afterAll(async () => {
  await queries.destroy();
});

const run = randomBytes(4).toString('hex');
const actor = `settle-${run}`;

/** One event of this run's actor, at the time its insert runs (the table's default). */
const write = (db: Queryable, action: string) =>
  db.query(sql`insert into audit_events (actor_id, action) values (${actor}, ${action})`);

const actions = (items: AuditEntry[]) => items.map((e) => e.action);

async function nextPage(query: AuditQuery, cursor: string | null) {
  const keyset = cursor ? decodeCursor(cursor) : undefined;
  return postgresAuditTrail(queries).list({ ...query, ...(keyset ? { cursor: keyset } : {}) });
}

describe('postgresAuditTrail.list while an audit write is not yet committed', () => {
  it('skips no event: what a paging read shows is every event up to its newest, the late one included', async () => {
    // Prepare: two settled events, then a change that writes its event and is held open (Cognito
    // being called), and, while it is, a newer event that commits at once.
    await write(queries, 'old.1');
    await write(queries, 'old.2');
    const query = { limit: 2, actor };
    const session: AuditEntry[] = [];
    // Act: the first page is read while the held change is still open...
    let cursor = await queries.transaction(async (held) => {
      await write(held, 'held');
      await write(queries, 'newer');
      const first = await nextPage(query, null);
      session.push(...first.items);
      return first.nextCursor;
    });
    // ...and the rest once it has committed.
    while (cursor) {
      const page = await nextPage(query, cursor);
      session.push(...page.items);
      cursor = page.nextCursor;
    }

    // Assess: the newer event waited with the held one rather than be listed above its place.
    expect(actions(session)).not.toContain('newer');
    const everything = await postgresAuditTrail(queries).list({ limit: 10, actor });
    expect(actions(everything.items)).toEqual(['newer', 'held', 'old.2', 'old.1']);
    // No hole: the session holds every event as old as its newest or older.
    const newestShown = session[0]?.occurredAt ?? '';
    const due = everything.items.filter((e) => e.occurredAt <= newestShown);
    expect(actions(session)).toEqual(actions(due));
  });

  it('lists an event as soon as its transaction has committed', async () => {
    await write(queries, 'at-once');
    const page = await postgresAuditTrail(queries).list({ limit: 1, actor, action: 'at-once' });
    expect(actions(page.items)).toEqual(['at-once']);
  });

  it('times each event at its insert, not at its transaction’s start', async () => {
    const times = await queries.transaction(async (tx) => {
      await write(tx, 'first-of-two');
      await tx.query(sql`select pg_sleep(0.05)`);
      await write(tx, 'second-of-two');
      const { rows } = await tx.query<{ action: string; after_start_ms: number }>(sql`
        select action, extract(epoch from occurred_at - now()) * 1000 as after_start_ms
        from audit_events where actor_id = ${actor} and action like '%-of-two' order by occurred_at`);
      return rows;
    });
    expect(times.map((row) => row.action)).toEqual(['first-of-two', 'second-of-two']);
    expect(Number(times[1]?.after_start_ms)).toBeGreaterThanOrEqual(50);
  });
});
