import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { withPgClient } from '#test/support/scratch-database';
import { sqlStateOf } from './sql-state';
import { first, only, sql, type SqlDatabase } from './sql';
import { createSqlDatabase } from './sql-database';

/**
 * The query layer on both drivers against real PostgreSQL: node-postgres, and the Data API
 * (played by PostgreSQL behind a signed loopback server, as on Aurora). The same statements must
 * give the same rows on both, and hostile text must be stored and read back as data.
 */
const table = `sql_layer_${randomUUID().replaceAll('-', '')}`;
const onDataApi = sqlOnDataApi();
const pgSql = createSqlDatabase({ DB_DRIVER: 'pg', DATABASE_URL: inject('databaseUrl'), DB_POOL_MAX: 1 });
const drivers: Record<string, () => SqlDatabase> = { pg: () => pgSql, 'data-api': () => onDataApi.db() };

const onServer = (statement: string) => withPgClient(inject('databaseUrl'), (c) => c.query(statement));

beforeAll(async () => {
  await onServer(
    `create table ${table} (id uuid primary key, body text not null, n int8 not null default 0,
     at timestamptz, details jsonb, data bytea)`,
  );
});

afterAll(async () => {
  await pgSql.destroy();
  await onServer(`drop table if exists ${table}`);
});

// The table's name is ours (a uuid without dashes), never input: spliced as the literal part.
const into = (rest: TemplateStringsArray, ...values: Parameters<typeof sql>[1][]) =>
  sql(
    Object.assign([`${rest[0] ?? ''}`.replace('@t', table), ...rest.slice(1)], { raw: rest.raw }),
    ...values,
  );

interface Row {
  id: string;
  body: string;
  n: string | number;
  at: Date | null;
  details: unknown;
}

describe.each(['pg', 'data-api'])('the query layer on %s', (name) => {
  const db = () => (drivers[name] as () => SqlDatabase)();

  it('stores and returns hostile text, json and timestamps as data', async () => {
    // Prepare
    const id = randomUUID();
    const body = "'); drop table users; -- <script>alert(1)</script> \u202eRTL \ud83d\ude00 %_\\ __proto__";
    const at = new Date('2026-02-28T23:59:59.123Z');
    const details = { __proto__: 'x', constructor: { prototype: 1 }, html: '<b>' };

    // Act
    await db().query(
      into`insert into @t (id, body, n, at, details) values (cast(${id} as uuid), ${body}, ${9007199254740991}, ${at}, cast(${JSON.stringify(details)} as jsonb))`,
    );
    const row = await only<Row>(
      db(),
      into`select id, body, n, at, details from @t where id = cast(${id} as uuid)`,
    );

    // Assess
    expect(row.id).toBe(id);
    expect(row.body).toBe(body);
    expect(Number(row.n)).toBe(9007199254740991);
    expect(row.at).toEqual(at);
    expect(row.details).toEqual(JSON.parse(JSON.stringify(details)));
    expect(Object.getPrototypeOf(row.details)).toBe(Object.prototype);
  });

  it('reads a LIKE pattern and an optional fragment as parameters', async () => {
    const id = randomUUID();
    await db().query(into`insert into @t (id, body) values (cast(${id} as uuid), ${'100%_sure'})`);
    const find = (pattern: string, exact: boolean) =>
      db().query<{ id: string }>(
        into`select id from @t where body like ${pattern} ${exact ? sql`and id = cast(${id} as uuid)` : sql.empty}`,
      );

    expect((await find('100\\%\\_sure', true)).rows).toEqual([{ id }]);
    expect((await find("' or '1'='1", false)).rows).toEqual([]);
  });

  it('counts changed rows, and answers none for a missing row', async () => {
    const id = randomUUID();
    await db().query(into`insert into @t (id, body) values (cast(${id} as uuid), ${'a'})`);

    expect(
      (await db().query(into`update @t set body = ${'b'} where id = cast(${id} as uuid)`)).rowCount,
    ).toBe(1);
    expect(
      (await db().query(into`update @t set body = ${'b'} where id = cast(${randomUUID()} as uuid)`)).rowCount,
    ).toBe(0);
    expect(
      await first(db(), into`select id from @t where id = cast(${randomUUID()} as uuid)`),
    ).toBeUndefined();
    await expect(
      only(db(), into`select id from @t where id = cast(${randomUUID()} as uuid)`),
    ).rejects.toThrow('the statement returned no row');
  });

  it('refuses text with NUL with PostgreSQL’s SQLSTATE, and stays usable', async () => {
    const error = await db()
      .query(into`insert into @t (id, body) values (cast(${randomUUID()} as uuid), ${'a\u0000b'})`)
      .catch((e: unknown) => e);

    expect(sqlStateOf(error)).toBe('22021');
    expect((await db().query<{ one: number }>(sql`select 1 as one`)).rows).toEqual([{ one: 1 }]);
  });

  it('commits a transaction’s statements together, or rolls all of them back', async () => {
    // Prepare
    const kept = randomUUID();
    const lost = randomUUID();

    // Act
    await db().transaction(async (tx) => {
      await tx.query(into`insert into @t (id, body) values (cast(${kept} as uuid), ${'kept'})`);
      await tx.query(into`update @t set n = n + 1 where id = cast(${kept} as uuid)`);
    });
    const failed = await db()
      .transaction(async (tx) => {
        await tx.query(into`insert into @t (id, body) values (cast(${lost} as uuid), ${'lost'})`);
        await tx.query(into`insert into @t (id, body) values (cast(${kept} as uuid), ${'duplicate'})`);
      })
      .catch((e: unknown) => e);

    // Assess
    expect(sqlStateOf(failed)).toBe('23505');
    const rows = await db().query<{ body: string; n: string | number }>(
      into`select body, n from @t where id in (cast(${kept} as uuid), cast(${lost} as uuid))`,
    );
    expect(rows.rows.map((r) => [r.body, Number(r.n)])).toEqual([['kept', 1]]);
    // The one pooled connection (pg) went back clean: the next statement runs outside any transaction.
    expect((await db().query<{ one: number }>(sql`select 1 as one`)).rows).toEqual([{ one: 1 }]);
  });
});
