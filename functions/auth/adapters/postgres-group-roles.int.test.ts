import { randomUUID } from 'node:crypto';

import { afterAll, describe, expect, it } from 'vitest';

import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { postgresGroupRoles } from './postgres-group-roles';

/**
 * A Cognito group's role stored with its audit event, on both drivers: node-postgres (local) and
 * the RDS Data API (the triggers on AWS), played by real PostgreSQL.
 */
const db = testDatabase();
const pgSql = testSql();
const onDataApi = sqlOnDataApi();
const drivers = { pg: () => pgSql, 'data-api': () => onDataApi.db() } as const;

afterAll(async () => {
  await pgSql.destroy();
  await db.destroy();
});

const roleChangesOf = (id: string) =>
  db
    .selectFrom('audit_events')
    .select(['actor_id', 'action', 'target_type', 'target_id', 'details'])
    .where('target_id', '=', id)
    .execute();

describe.each(Object.keys(drivers) as (keyof typeof drivers)[])('postgresGroupRoles.adopt (%s)', (driver) => {
  const roles = () => postgresGroupRoles(drivers[driver]());

  it('stores the role of a row without one, with its role change on record', async () => {
    // Prepare
    const user = await createTestUser(db, { role: null });

    // Act
    const adopted = await roles().adopt(user.id, 'admins');

    // Assess
    expect(adopted).toBe(true);
    const row = await db
      .selectFrom('users')
      .select('role')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.role).toBe('admins');
    expect(await roleChangesOf(user.id)).toEqual([
      {
        actor_id: null,
        action: 'user.role-change',
        target_type: 'user',
        target_id: user.id,
        details: { before: { role: null }, after: { role: 'admins' }, source: 'cognito-group' },
      },
    ]);
  });

  it('leaves a stored role as it is and records nothing', async () => {
    const user = await createTestUser(db, { role: 'members' });

    expect(await roles().adopt(user.id, 'admins')).toBe(false);

    const row = await db
      .selectFrom('users')
      .select('role')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.role).toBe('members');
    expect(await roleChangesOf(user.id)).toEqual([]);
  });

  it('records nothing for a user without a row', async () => {
    const id = `missing-${randomUUID()}`;

    expect(await roles().adopt(id, 'members')).toBe(false);

    expect(await roleChangesOf(id)).toEqual([]);
  });

  it('stores one role, audited once, when token generations race for it', async () => {
    const user = await createTestUser(db, { role: null });

    const outcomes = await Promise.all([
      roles().adopt(user.id, 'auditors'),
      roles().adopt(user.id, 'members'),
      roles().adopt(user.id, 'auditors'),
    ]);

    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const row = await db
      .selectFrom('users')
      .select('role')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    const changes = await roleChangesOf(user.id);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.details).toMatchObject({ after: { role: row.role } });
  });
});
