import { randomBytes } from 'node:crypto';

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { createDatabase } from '#shared/db/database';
import { migrateDownToNothing, migrateToLatest } from '#shared/db/migrator';
import type { Database } from '#shared/db/schema';
import { createScratchDatabase } from '../../test/support/scratch-database';
import { APPLICATION_ROLE, applicationRoleLogin, scramSha256Verifier } from './application-role';

/**
 * Migration 0012 on real PostgreSQL: the DML-only application role. Several scratch databases of
 * one server stand for a cluster's databases (roles are cluster-wide).
 */
const scratch: { drop: () => Promise<void> }[] = [];
const open: Kysely<Database>[] = [];
async function migratedDatabase(): Promise<{ db: Kysely<Database>; url: string }> {
  const s = await createScratchDatabase('parley_approle');
  scratch.push(s);
  const db = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: s.url });
  open.push(db);
  await migrateToLatest(db);
  return { db, url: s.url };
}

/** Runs `work` as `role` (SET ROLE: the test server trusts local connections, so no password). */
async function asRole<T>(url: string, role: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`set role ${client.escapeIdentifier(role)}`);
    return await work(client);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  for (const db of open) await db.destroy();
  for (const s of scratch) await s.drop();
});

describe('the application role, without a secret (local stack, tests)', () => {
  let url: string;
  beforeAll(async () => {
    ({ url } = await migratedDatabase());
  });

  it('exists without a login, so nothing can sign in as it', async () => {
    const { rows } = await asRole(url, 'postgres', (c) =>
      c.query<{ rolcanlogin: boolean }>('select rolcanlogin from pg_roles where rolname = $1', [
        APPLICATION_ROLE,
      ]),
    );
    expect(rows).toEqual([{ rolcanlogin: false }]);
  });

  it('reads and writes rows', async () => {
    await asRole(url, APPLICATION_ROLE, async (c) => {
      const id = (
        await c.query<{ id: string }>(
          `insert into users (id, email, display_name, role) values ($1, $2, 'Ada', 'members') returning id`,
          [`user-${randomBytes(4).toString('hex')}`, `${randomBytes(4).toString('hex')}@example.com`],
        )
      ).rows[0]?.id;
      expect(id).toBeDefined();
      await c.query('update users set display_name = $1 where id = $2', ['Ada L.', id]);
      await c.query('delete from users where id = $1', [id]);
      await c.query(`insert into audit_events (action, actor_id) values ('test.event', null)`);
    });
  });

  it('cannot change the schema, the migrations’ tables or the audit log', async () => {
    const refused = (statement: string) =>
      expect(
        asRole(url, APPLICATION_ROLE, (c) => c.query(statement)),
        statement,
      ).rejects.toThrow(/permission denied|must be owner/);
    await refused('create table intruder (id int)');
    await refused('alter table users add column intruder int');
    await refused('drop table messages');
    await refused('truncate users');
    await refused('delete from kysely_migration');
    await refused('select * from kysely_migration_lock');
    await refused('delete from audit_events');
    await refused('update audit_events set action = action');
  });

  it('is shared by every database of the server: a second database migrates too', async () => {
    const second = await migratedDatabase();
    await asRole(second.url, APPLICATION_ROLE, (c) => c.query('select count(*) from users'));
  });

  it('gives back this database’s grants on the way down and keeps the cluster-wide role', async () => {
    const third = await migratedDatabase();
    await migrateDownToNothing(third.db);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_roles where rolname = ${APPLICATION_ROLE}
    `.execute(third.db);
    expect(rows[0]?.n).toBe(1);
    await expect(
      asRole(third.url, APPLICATION_ROLE, (c) => c.query('create table intruder (id int)')),
    ).rejects.toThrow(/permission denied/);
  });
});

describe('the application role on AWS (its secret given to the migrator)', () => {
  const secrets = mockClient(SecretsManagerClient);
  const role = `parley_app_test_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(24).toString('base64url');
  let url: string;
  let verifier: string | undefined;

  beforeAll(async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ username: role, password }) });
    process.env.DB_APP_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-app-AbCdEf';
    try {
      ({ url } = await migratedDatabase());
    } finally {
      delete process.env.DB_APP_SECRET_ARN;
    }
    const { rows } = await asRole(url, 'postgres', (c) =>
      c.query<{ rolpassword: string; rolcanlogin: boolean }>(
        'select rolpassword, rolcanlogin from pg_authid where rolname = $1',
        [role],
      ),
    );
    expect(rows[0]?.rolcanlogin).toBe(true);
    verifier = rows[0]?.rolpassword;
  });
  afterAll(async () => {
    secrets.restore();
    for (const db of open.splice(0)) await db.destroy();
    for (const s of scratch.splice(0)) await s.drop();
    // Its grants went with the databases; the role itself is the server's.
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    await admin.query(`drop role if exists ${admin.escapeIdentifier(role)}`).finally(() => admin.end());
  });

  it('reads the secret named by DB_APP_SECRET_ARN', () => {
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-app-AbCdEf',
    });
  });

  it('stores a SCRAM verifier of the secret’s password, never the password itself', () => {
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    const salt = Buffer.from(verifier?.split('$')[1]?.split(':')[1] ?? '', 'base64');
    expect(verifier).toBe(scramSha256Verifier(password, salt));
    expect(verifier).not.toContain(password);
  });
});

describe('applicationRoleLogin', () => {
  it('is undefined without DB_APP_SECRET_ARN (the local stack)', async () => {
    expect(await applicationRoleLogin({})).toBeUndefined();
  });

  it('names the bad field of a malformed secret, never its value', async () => {
    const client = new SecretsManagerClient({});
    const secrets = mockClient(client);
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ username: 'Bad-Name', password: 'x' }) });
    const failure = applicationRoleLogin({ DB_APP_SECRET_ARN: 'arn:aws:secretsmanager:x' }, client);
    await expect(failure).rejects.toThrow('DB_APP_SECRET_ARN: username, password invalid');
    await expect(failure).rejects.not.toThrow('Bad-Name');
    secrets.restore();
  });
});

describe('scramSha256Verifier', () => {
  it('matches PostgreSQL’s own verifier for the same password and salt', async () => {
    // PostgreSQL hashes a plain password itself (password_encryption = scram-sha-256); ours, with
    // the salt and iteration count it chose, must come out identical.
    const name = `parley_scram_${randomBytes(4).toString('hex')}`;
    const database = await createScratchDatabase('parley_scram');
    scratch.push(database);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query(`set password_encryption = 'scram-sha-256'`);
      await admin.query(
        `create role ${admin.escapeIdentifier(name)} password 'correct horse battery staple'`,
      );
      const { rows } = await admin.query<{ rolpassword: string }>(
        'select rolpassword from pg_authid where rolname = $1',
        [name],
      );
      const theirs = rows[0]?.rolpassword ?? '';
      const [, iterationsAndSalt = ''] = theirs.split('$');
      const [iterations, salt = ''] = iterationsAndSalt.split(':');
      expect(
        scramSha256Verifier('correct horse battery staple', Buffer.from(salt, 'base64'), Number(iterations)),
      ).toBe(theirs);
    } finally {
      await admin.query(`drop role if exists ${admin.escapeIdentifier(name)}`);
      await admin.end();
    }
  });
});
