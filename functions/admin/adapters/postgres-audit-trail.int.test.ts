import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '#shared/db/sql';
import { decodeCursor } from '#shared/pagination/cursor';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { testDatabase, testSql } from '#test/support/database';
import type { AuditEntry } from '../domain/audit-entry';
import type { AuditQuery } from '../ports/audit-trail';
import { postgresAuditTrail } from './postgres-audit-trail';

/*
 * audit_events is append-only (a trigger refuses update, delete and truncate): the events written
 * here stay, told apart from other files' by an actor unique to this run.
 */
const db = testDatabase();
const queries = testSql();
const onDataApi = sqlOnDataApi();

const run = randomBytes(4).toString('hex');
const actor = `actor-${run}`;
const hostileAction = `'; drop table audit_events; --`;
const hostileTarget = `%_\\${run}`;
/** A key JSON.parse keeps as data; an object literal would set the prototype instead. */
const protoDetails = JSON.parse('{"__proto__":{"polluted":true},"n":1}') as Record<string, unknown>;

/** The events of this run, newest first as the trail lists them (ties: the greater uuid first). */
let events: { id: string; occurredAt: string }[] = [];

beforeAll(async () => {
  const rows = [
    {
      occurred_at: '2026-03-01T23:59:59.999999Z',
      action: 'user.a',
      target_id: `t1-${run}`,
      details: { n: 1 },
    },
    { occurred_at: '2026-03-02T00:00:00Z', action: 'user.b', target_id: `t2-${run}`, details: {} },
    { occurred_at: '2026-03-02T00:00:00Z', action: hostileAction, target_id: hostileTarget, details: {} },
    { occurred_at: '2026-03-03T00:00:00Z', action: 'user.a', target_id: `t1-${run}`, details: protoDetails },
  ];
  for (const row of rows) {
    const { id } = await db
      .insertInto('audit_events')
      .values({
        ...row,
        actor_id: actor,
        target_type: 'user',
        request_id: `req-${run}`,
        source_ip: '203.0.113.7',
        user_agent: 'Parley-Test',
        details: JSON.stringify(row.details),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    events.push({ id, occurredAt: row.occurred_at });
  }
  events = events.sort((a, b) =>
    a.occurredAt === b.occurredAt
      ? a.id < b.id
        ? 1
        : -1
      : Date.parse(b.occurredAt) - Date.parse(a.occurredAt),
  );
});
afterAll(async () => {
  await db.destroy();
  await queries.destroy();
});

const ids = (items: AuditEntry[]) => items.map((e) => e.id);
const eventIds = (...indexes: number[]) => indexes.map((i) => events[i]?.id);

/** Every page of a query, following the cursors. */
async function allPages(db: SqlDatabase, query: AuditQuery): Promise<AuditEntry[][]> {
  const pages: AuditEntry[][] = [];
  let cursor: AuditQuery['cursor'];
  for (;;) {
    const page = await postgresAuditTrail(db).list({ ...query, ...(cursor ? { cursor } : {}) });
    pages.push(page.items);
    if (!page.nextCursor) return pages;
    cursor = decodeCursor(page.nextCursor);
    if (!cursor) throw new Error(`not a cursor: ${page.nextCursor}`);
  }
}

describe.each([
  ['PostgreSQL', () => queries],
  ['the Data API', () => onDataApi.db()],
])('postgresAuditTrail.list on %s', (_driver, database) => {
  it('lists newest first and pages by keyset, ties broken by id', async () => {
    const pages = await allPages(database(), { limit: 2, actor });

    expect(pages.map(ids)).toEqual([eventIds(0, 1), eventIds(2, 3)]);
  });

  it('maps every column: exact instant, uuid as text, origin, parsed details', async () => {
    const [newest] = (await postgresAuditTrail(database()).list({ limit: 1, actor })).items;

    expect(newest).toEqual({
      id: events[0]?.id,
      occurredAt: '2026-03-03T00:00:00.000000Z',
      actorId: actor,
      // No users row has these ids.
      actorEmail: null,
      action: 'user.a',
      targetType: 'user',
      targetId: `t1-${run}`,
      targetEmail: null,
      requestId: `req-${run}`,
      sourceIp: '203.0.113.7',
      userAgent: 'Parley-Test',
      details: protoDetails,
    });
    // __proto__ is a key of the details, not their prototype (jsonb orders keys its own way).
    expect(Object.keys(newest?.details ?? {}).sort()).toEqual(['__proto__', 'n']);
    expect(Object.getPrototypeOf(newest?.details)).toBe(Object.prototype);
  });

  it('keeps the days from and to, both included, in UTC', async () => {
    const page = await postgresAuditTrail(database()).list({
      limit: 10,
      actor,
      from: '2026-03-02',
      to: '2026-03-02',
    });
    const from = await postgresAuditTrail(database()).list({ limit: 10, actor, from: '2026-03-03' });
    const to = await postgresAuditTrail(database()).list({ limit: 10, actor, to: '2026-03-01' });

    expect(ids(page.items)).toEqual(eventIds(1, 2));
    expect(ids(from.items)).toEqual(eventIds(0));
    expect(ids(to.items)).toEqual(eventIds(3));
  });

  it('filters by action and target, hostile text matched as data and exactly', async () => {
    const trail = postgresAuditTrail(database());

    const byAction = await trail.list({ limit: 10, actor, action: hostileAction });
    const byTarget = await trail.list({ limit: 10, target: hostileTarget });
    const wildcard = await trail.list({ limit: 10, actor, target: '%' });
    const both = await trail.list({ limit: 10, actor, action: 'user.a', target: `t1-${run}` });

    expect(byAction.items.map((e) => [e.action, e.targetId])).toEqual([[hostileAction, hostileTarget]]);
    expect(ids(byTarget.items)).toEqual(ids(byAction.items));
    expect(wildcard.items).toEqual([]);
    expect(ids(both.items)).toEqual(eventIds(0, 3));
  });
});
