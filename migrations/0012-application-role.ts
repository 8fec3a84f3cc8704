import { sql, type Kysely } from 'kysely';

import {
  APPLICATION_ROLE,
  applicationRoleLogin,
  scramSha256Verifier,
} from '../functions/migrations/application-role';

/**
 * Least privilege in the database: a DML-only role for the API functions and the Cognito
 * triggers (the migrator keeps the master user). It may read and write rows, never change the
 * schema, never touch the migrations' own tables, and only add to the audit log.
 *
 * Roles belong to the whole cluster, not to one database: it is created only if missing (other
 * databases of the cluster, such as the test run's scratch databases, share it), and `down`
 * takes back this database's grants but leaves the role.
 *
 * On AWS the migrator is given the role's secret (DB_APP_SECRET_ARN) and sets its login from
 * it, as a SCRAM verifier; the secret then rotates on its own. Locally the role has no login.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const login = await applicationRoleLogin();
  const role = sql.id(login?.username ?? APPLICATION_ROLE);
  // One statement per call: the Data API runs exactly one statement per ExecuteStatement.
  await sql`
    do $$ begin
      create role ${role} nologin;
    exception when duplicate_object or unique_violation then null;
    end $$
  `.execute(db);
  if (login) {
    await sql`alter role ${role} with login password ${sql.lit(scramSha256Verifier(login.password))}`.execute(
      db,
    );
  }
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(db);
  await sql`grant connect on database ${sql.id(rows[0]?.name ?? '')} to ${role}`.execute(db);
  await sql`grant usage on schema public to ${role}`.execute(db);
  await sql`grant select, insert, update, delete on all tables in schema public to ${role}`.execute(db);
  await sql`grant usage, select on all sequences in schema public to ${role}`.execute(db);
  // Tables and sequences later migrations create (as the migrator) are granted the same way.
  await sql`
    alter default privileges in schema public grant select, insert, update, delete on tables to ${role}
  `.execute(db);
  await sql`alter default privileges in schema public grant usage, select on sequences to ${role}`.execute(
    db,
  );
  // Append-only for the role itself, beneath the trigger that refuses changes to anyone.
  await sql`revoke update, delete on audit_events from ${role}`.execute(db);
  await sql`revoke all on kysely_migration, kysely_migration_lock from ${role}`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  const login = await applicationRoleLogin();
  const role = sql.id(login?.username ?? APPLICATION_ROLE);
  await sql`
    alter default privileges in schema public revoke select, insert, update, delete on tables from ${role}
  `.execute(db);
  await sql`alter default privileges in schema public revoke usage, select on sequences from ${role}`.execute(
    db,
  );
  await sql`revoke all on all tables in schema public from ${role}`.execute(db);
  await sql`revoke all on all sequences in schema public from ${role}`.execute(db);
  await sql`revoke usage on schema public from ${role}`.execute(db);
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(db);
  await sql`revoke connect on database ${sql.id(rows[0]?.name ?? '')} from ${role}`.execute(db);
}
