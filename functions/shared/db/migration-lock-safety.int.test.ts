import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createScratchDatabase } from '#test/support/scratch-database';
import { lockRisks } from './migration-lock-safety';

/**
 * The rules of migration-lock-safety.ts against PostgreSQL itself: a statement they refuse on a
 * table that has rows reads or rewrites the whole table (under the lock its ALTER TABLE or CREATE
 * INDEX holds until the migrator's transaction commits); one they allow does neither.
 */
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let client: pg.Client;

beforeAll(async () => {
  scratch = await createScratchDatabase('parley_lock_rules');
  client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  await client.query(`
    create table owners (id int primary key);
    insert into owners select g from generate_series(1, 100) g;
    create table existing (id int primary key, owner_id int, n int, note text);
    insert into existing select g, g, g, 'x' from generate_series(1, 100) g;
  `);
}, 30_000);

afterAll(async () => {
  await client.end();
  await scratch.drop();
});

/** What the statement did to `existing`: rewrote it, read it whole, or neither. Rolled back. */
async function observe(statement: string): Promise<'rewrite' | 'scan' | 'none'> {
  const state = async () =>
    (
      await client.query<{ file: string; scans: string }>(
        `select pg_relation_filenode('existing') as file, pg_stat_get_xact_numscans('existing'::regclass) as scans`,
      )
    ).rows[0];
  await client.query('begin');
  try {
    const before = await state();
    await client.query(statement);
    const after = await state();
    if (before?.file !== after?.file) return 'rewrite';
    return before?.scans !== after?.scans ? 'scan' : 'none';
  } finally {
    await client.query('rollback');
  }
}

const cases: Array<[statement: string, observed: 'rewrite' | 'scan' | 'none']> = [
  ['alter table existing add column a int', 'none'],
  ['alter table existing add column a boolean not null default false', 'none'],
  ['alter table existing add column a timestamptz not null default now()', 'none'],
  ['alter table existing add column a timestamptz default clock_timestamp()', 'rewrite'],
  ['alter table existing add column a uuid default gen_random_uuid()', 'rewrite'],
  ['alter table existing add column a bigserial', 'rewrite'],
  ['alter table existing add column a int generated always as (n * 2) stored', 'rewrite'],
  ['alter table existing add column a text check (char_length(a) < 10)', 'scan'],
  ['alter table existing add constraint c check (n > 0)', 'scan'],
  ['alter table existing add constraint c check (n > 0) not valid', 'none'],
  ['alter table existing add constraint f foreign key (owner_id) references owners (id)', 'scan'],
  ['alter table existing add constraint f foreign key (owner_id) references owners (id) not valid', 'none'],
  ['alter table existing alter column n set not null', 'scan'],
  ['alter table existing alter column n type bigint', 'rewrite'],
  ['alter table existing alter column n set default 1', 'none'],
  ['alter table existing alter column note drop not null', 'none'],
  ['create index existing_n_idx on existing (n)', 'scan'],
  ['alter table existing add constraint u unique (n)', 'scan'],
];

describe('the lock-safety rules', () => {
  it.each(cases)(
    '%s: PostgreSQL does "%s", and the rules refuse exactly what reads or rewrites',
    async (statement, expected) => {
      // Act
      const observed = await observe(statement);
      const refused = lockRisks([statement]).length > 0;

      // Assess
      expect(observed).toBe(expected);
      expect(refused).toBe(observed !== 'none');
    },
  );
});
