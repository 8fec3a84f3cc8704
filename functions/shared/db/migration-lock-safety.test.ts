import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { sql, type Migration } from 'kysely';
import { describe, expect, it } from 'vitest';

import { migrations } from '#schema-migrations/index';
import {
  lockRisks,
  lockSafetyProblems,
  normaliseStatement,
  optOuts,
  statementsOf,
  type LockRisk,
} from './migration-lock-safety';

const migrationsFolder = new URL('../../../migrations/', import.meta.url);
const sourceOf = (name: string): string => readFileSync(new URL(`${name}.ts`, migrationsFolder), 'utf8');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The migrations that have shipped, with the SHA-256 of their file. A database that applied one
 * records only its name, so an edit would never reach it and every database would differ from the
 * next: add a new migration instead. Append a migration here once it has landed on main (main's
 * tip is what deploys): a revert that took it away would then fail here, instead of a later
 * release's migrations being refused on every stage that ran it (docs/runbook.md).
 */
const SHIPPED: Readonly<Record<string, string>> = {
  '0001-users': 'c637c298af1cedb58276ff77aa18ab7d99f06de35c4c2f5c1051af90dd2a0082',
  '0002-sign-in-attempts': '902c237a58a523f85609099288415a2b54eeb0b11d948511c9a7f70b5cbdd098',
  '0003-conversations': '4759110180822848d0a4855eecd9325a6cfe3a2789c3e1387ffb8b77b6d5fcb3',
  '0004-messages': '9df487dd18d0dd9065695020bb9e413e6f701521998df251d18d890653933bc5',
  '0005-usage-daily': '2872bf7396edfed28dbd4ca2bde529a6440f8407e481d1187d785b052b5b4d1d',
  '0006-audit-events': 'aa213bd9c8fe976406fab335bc263e140030db74ec3ab9898d5efe3e44188350',
  '0007-audit-events-append-only': '17b4265f9ca8713c40612beac011e750cf0719fd751030403dc2e3651cfb9223',
  '0008-users-tokens-valid-after': '6fe444747f29cd5e045e3ea90cd095dda222072026e22c415fa6d0019f6b9f26',
  '0009-admin-indexes': 'b1443044ba7d2f4e23c538ca06b35c663a58881d3d332633af318f2d6e8e175b',
  '0010-messages-owner-search': 'b7eed93ee61b3134aee882af695167b4a02e40d92167f6b17afaa43dde77dc78',
  '0011-users-quota-role-default': '371f71d7e513cc42415a854e871a781d51bc10637b379378efeb4d5f682fea59',
  '0012-application-role': '6b532b17cd891389270879c6860f30efc784b5dcbed1d96d78da7431519363a9',
  '0013-audit-events-request-origin': '47b28a8d65b3b7dee357a2925dc25f574b5efd299ef80a6398806e34daa2f292',
  '0014-conversations-deleted-index': '797871f5548509ff104277907e64ff6fe32c354fa13bc6fac6adddfce609dd79',
  '0015-message-feedback': 'a6aba64638fe7dacd3deed6bbcd2816b5fe172a28544aa69a9af200e75490794',
  '0016-users-instructions': '589e5ed3394f74302991958e70a63754eb32a64b4d2dfe8c11bd5362ea6d3d5b',
  '0017-users-last-sign-in': '990ffa17b7f1ee9cb67e7560b379e8b77aa6b4e4d00ee20ee62bc790b0934630',
  '0018-messages-stop-requested': 'c9b06a0e9602088d401a0bf8bbfc2549f9c11e75ee8307875efe1bb0c9525592',
  '0019-messages-streaming-owner-index': 'ce83c5949aa6e990a62b6e50f052163a05229a7307c0bf6fdd01fe4a7806a233',
  '0020-usage-daily-kept-after-erasure': 'bcda6fcf874efa55a6fa60d317c5e4d1ab7c3b7a329cb8fd5b264dcabee48dc3',
  '0021-audit-events-insert-time': 'ad2d360be0ca887def6ac7d7e579136b0ecb2b62530e58bccfa7a4a393e40708',
  '0022-messages-truncated': 'a85a60f4a0d165dae4de236502942fdc00dc06a32ae1d38cb7bb6ece53bf3aa0',
  '0023-users-turn-sequence': 'dc3197d72ec1e3c1ba608e01a13633382936aab1ea3437f5d00b9c3c4eb3dc5f',
  '0024-owner-indexes': 'dd47dfbfa73c520dc0805fe61bf8997cf0b6aaefb512e7a41e16b3e47b6de9e9',
  '0025-message-feedback-conversation-model':
    '6300eda8b95408049df6a74b7fd96a513beb6cf9427cf3206683b104ac8db553',
};

/** The risks of one statement on an existing table `t`. */
const risksOf = (...statements: string[]): LockRisk[] => lockRisks(statements).map((f) => f.risk);

describe('shipped migrations', () => {
  it('are unchanged, in order, and come before every new one', () => {
    // Prepare
    const names = Object.keys(migrations);
    const shipped = Object.keys(SHIPPED);

    // Act / Assess: the shipped ones are the first, in the same order, byte for byte
    expect(names.slice(0, shipped.length)).toEqual(shipped);
    for (const name of shipped) expect(sha256(sourceOf(name)), name).toBe(SHIPPED[name]);
    // Names sort in the order they run (the migrator applies them by name).
    expect([...names].sort()).toEqual(names);
  });

  it('are held to the rules too, and their known risks are the ones recorded in the runbook', async () => {
    // Prepare / Act: what the rules find in the shipped migrations (they cannot change now)
    const found: string[] = [];
    for (const name of Object.keys(SHIPPED)) {
      const migration = migrations[name];
      if (!migration) continue;
      for (const f of lockRisks(await statementsOf(migration))) found.push(`${name} ${f.risk} ${f.table}`);
    }

    // Assess
    expect(found).toEqual([
      '0009-admin-indexes index-build users',
      '0009-admin-indexes index-build usage_daily',
      '0009-admin-indexes index-build audit_events',
      '0010-messages-owner-search index-build messages',
      '0011-users-quota-role-default bulk-write users',
      '0014-conversations-deleted-index index-build conversations',
      '0016-users-instructions constraint-scan users',
      '0019-messages-streaming-owner-index index-build messages',
      '0020-usage-daily-kept-after-erasure index-build usage_daily',
      '0024-owner-indexes index-build messages',
      '0024-owner-indexes index-build conversations',
      '0024-owner-indexes index-build message_feedback',
      '0024-owner-indexes index-build conversations',
      '0025-message-feedback-conversation-model bulk-write message_feedback',
      '0025-message-feedback-conversation-model index-build message_feedback',
      '0025-message-feedback-conversation-model index-build message_feedback',
    ]);
  });
});

describe('new migrations', () => {
  it('take no long lock on a table that has rows, or say why it is safe', async () => {
    // Prepare
    const fresh = Object.keys(migrations).filter((name) => !(name in SHIPPED));

    // Act
    const problems: string[] = [];
    for (const name of fresh) {
      const migration = migrations[name];
      if (!migration) continue;
      const findings = lockRisks(await statementsOf(migration));
      problems.push(...lockSafetyProblems(findings, sourceOf(name)).map((p) => `${name}: ${p}`));
    }

    // Assess
    expect(problems).toEqual([]);
  });
});

describe('statementsOf', () => {
  it('collects what a migration sends, through the schema builder and raw sql alike', async () => {
    // Prepare
    const migration: Migration = {
      up: async (db) => {
        await db.schema.alterTable('messages').addColumn('pinned', 'boolean').execute();
        const { rows } = await sql<{ n: number }>`select 1 as n`.execute(db);
        if (rows.length === 0) await sql`update messages set pinned = false`.execute(db);
      },
    };

    // Act / Assess
    expect(await statementsOf(migration)).toEqual([
      'alter table "messages" add column "pinned" boolean',
      'select 1 as n',
      'update messages set pinned = false',
    ]);
  });
});

describe('lockRisks', () => {
  it('refuses an index built on an existing table without concurrently, and concurrently in the transaction', () => {
    expect(risksOf('create index "m_idx" on "messages" ("owner_id")')).toEqual(['index-build']);
    expect(risksOf('CREATE UNIQUE INDEX IF NOT EXISTS m_idx ON public.messages (id)')).toEqual([
      'index-build',
    ]);
    expect(risksOf('create index concurrently m_idx on messages (owner_id)')).toEqual([
      'concurrently-in-transaction',
    ]);
    expect(risksOf('reindex index concurrently m_idx')).toEqual(['concurrently-in-transaction']);
  });

  it('allows anything on a table the migration creates', () => {
    expect(
      risksOf(
        'create table "notes" ("id" uuid default gen_random_uuid() primary key)',
        'create index notes_idx on notes (id)',
        'alter table notes add column n int not null default 0 check (n >= 0)',
        'alter table notes alter column n set not null',
        'update notes set n = 1',
      ),
    ).toEqual([]);
  });

  it('refuses a column added with a volatile default, a generated column or a serial', () => {
    expect(risksOf('alter table users add column token uuid default gen_random_uuid()')).toEqual([
      'table-rewrite',
    ]);
    expect(
      risksOf('alter table audit_events add column at timestamptz default clock_timestamp() not null'),
    ).toEqual(['table-rewrite']);
    expect(risksOf('alter table messages add column n bigserial')).toEqual(['table-rewrite']);
    expect(
      risksOf('alter table messages add column len int generated always as (char_length(content)) stored'),
    ).toEqual(['table-rewrite']);
  });

  it('allows a nullable column, and a default that is stored once', () => {
    expect(risksOf('alter table messages add column pinned boolean')).toEqual([]);
    expect(risksOf('alter table messages add column pinned boolean not null default false')).toEqual([]);
    expect(risksOf('alter table users add column seen timestamptz not null default now()')).toEqual([]);
    expect(risksOf("alter table users add column prefs jsonb not null default '{}'::jsonb")).toEqual([]);
    expect(risksOf('alter table users alter column status set default clock_timestamp()')).toEqual([]);
  });

  it('refuses a constraint that checks every row, and allows it not valid', () => {
    expect(risksOf('alter table users add column bio text check (char_length(bio) < 500)')).toEqual([
      'constraint-scan',
    ]);
    expect(risksOf('alter table messages add column parent uuid references messages (id)')).toEqual([
      'constraint-scan',
    ]);
    expect(risksOf('alter table messages add constraint c check (prompt_tokens < 1000000)')).toEqual([
      'constraint-scan',
    ]);
    expect(
      risksOf('alter table usage_daily add constraint fk foreign key (user_id) references users (id)'),
    ).toEqual(['constraint-scan']);
    expect(
      risksOf('alter table messages add constraint c check (prompt_tokens < 1000000) not valid'),
    ).toEqual([]);
    expect(
      risksOf(
        'alter table usage_daily add constraint fk foreign key (user_id) references users (id) not valid',
      ),
    ).toEqual([]);
  });

  it('refuses validating in the migration that added the constraint, and allows it in a later one', () => {
    const add = 'alter table messages add constraint c check (prompt_tokens < 1000000) not valid';
    const validate = 'alter table messages validate constraint c';
    expect(risksOf(add, validate)).toEqual(['validate-under-lock']);
    expect(risksOf(validate)).toEqual([]);
  });

  it('refuses set not null, a type change, a rewriting set, and a unique key that builds its index', () => {
    expect(risksOf('alter table messages alter column model set not null')).toEqual(['not-null-scan']);
    expect(risksOf('alter table messages alter column prompt_tokens type bigint')).toEqual(['table-rewrite']);
    expect(risksOf('alter table messages alter prompt_tokens set data type bigint')).toEqual([
      'table-rewrite',
    ]);
    expect(risksOf('alter table messages set logged')).toEqual(['table-rewrite']);
    expect(risksOf('alter table users add constraint u unique (email)')).toEqual(['index-build']);
    expect(risksOf('alter table users add column code text unique')).toEqual(['index-build']);
    expect(risksOf('alter table users add constraint u exclude using gist (id with =)')).toEqual([
      'index-build',
    ]);
    expect(risksOf('alter table users add constraint u unique using index u_idx')).toEqual([]);
    expect(
      risksOf('alter table users alter column role drop not null, alter column status set default 1'),
    ).toEqual([]);
    expect(risksOf('alter table users add constraint x')).toEqual([]);
  });

  it('reports each risk of one statement once, with the table and the statement', () => {
    expect(
      lockRisks(['alter table "users" alter column a set not null, alter column b set not null']),
    ).toEqual([
      {
        risk: 'not-null-scan',
        table: 'users',
        statement: 'alter table users alter column a set not null, alter column b set not null',
      },
    ]);
  });

  it('refuses updates and deletes of existing tables, locks and maintenance', () => {
    expect(risksOf('update users set role = null')).toEqual(['bulk-write']);
    expect(risksOf('delete from only usage_daily where user_id is null')).toEqual(['bulk-write']);
    expect(risksOf('lock table messages in access exclusive mode')).toEqual(['exclusive-maintenance']);
    expect(risksOf('vacuum full messages')).toEqual(['exclusive-maintenance']);
    expect(risksOf('cluster messages')).toEqual(['exclusive-maintenance']);
  });

  it('leaves alone what takes no long lock', () => {
    expect(
      risksOf('create extension if not exists btree_gin', 'drop index if exists m_idx', 'select 1'),
    ).toEqual([]);
    expect(
      risksOf('alter table audit_events alter column occurred_at set default clock_timestamp()'),
    ).toEqual([]);
  });
});

describe('normaliseStatement', () => {
  it('unquotes identifiers, drops the schema, blanks literals and folds space and case', () => {
    expect(normaliseStatement(`ALTER TABLE "public"."Users"\n  ADD  COLUMN x text DEFAULT 'a,(b'`)).toBe(
      "alter table users add column x text default ''",
    );
  });
});

describe('lockSafetyProblems', () => {
  const findings = lockRisks(['create index m_idx on messages (owner_id)']);

  it('refuses a finding without an opt-out, naming the risk, the table and the way out', () => {
    expect(lockSafetyProblems(findings, 'export async function up() {}')).toEqual([
      'index-build on messages: create index m_idx on messages (owner_id) (or add "// lock-safety: index-build: <why it is safe>")',
    ]);
  });

  it('accepts a finding whose opt-out says why', () => {
    const source =
      '  // lock-safety: index-build: built beforehand with create index concurrently (runbook)\n';
    expect(optOuts(source)).toEqual(
      new Map([['index-build', 'built beforehand with create index concurrently (runbook)']]),
    );
    expect(lockSafetyProblems(findings, source)).toEqual([]);
  });

  it('refuses an opt-out without a reason, or one that matches nothing', () => {
    expect(lockSafetyProblems(findings, '// lock-safety: index-build: fine')).toEqual([
      'lock-safety opt-out "index-build" gives no reason',
    ]);
    expect(
      lockSafetyProblems([], '// lock-safety: table-rewrite: the table is small, a few rows only'),
    ).toEqual(['lock-safety opt-out "table-rewrite" matches no statement']);
  });
});
