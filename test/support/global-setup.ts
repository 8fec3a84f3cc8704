import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import type { TestProject } from 'vitest/node';

import { createDatabase } from '../../functions/shared/db/database';
import { migrateToLatest } from '../../functions/shared/db/migrator';
import { startEmbeddedPostgres } from '../../bin/local/embedded-postgres';
import { freePort } from '../../bin/local/free-port';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres:// URL of a freshly migrated database, private to this test run. */
    databaseUrl: string;
  }
}

/**
 * One fresh, migrated database per `vitest` run: a new database on DATABASE_URL's server when
 * that is set (named parley_test_<pid>_<random>, so concurrent runs never collide), else an
 * embedded PostgreSQL 16 in a temporary directory on a free port. Test files share it and keep
 * apart by using unique ids; nothing truncates shared tables.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const serverUrl = process.env.DATABASE_URL;
  const { url, teardown } = serverUrl ? await freshDatabaseOn(serverUrl) : await embeddedDatabase();

  const db = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: url, DB_POOL_MAX: 1 });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    await teardown();
    throw error;
  }
  await db.destroy();

  project.provide('databaseUrl', url);
  return teardown;
}

async function freshDatabaseOn(serverUrl: string) {
  const name = `parley_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(serverUrl, (c) => c.query(`create database ${c.escapeIdentifier(name)}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // `with (force)` ends connections a test forgot to close.
    teardown: () =>
      withAdminClient(serverUrl, (c) =>
        c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`),
      ).then(() => undefined),
  };
}

async function embeddedDatabase() {
  const base = await mkdtemp(join(tmpdir(), 'parley-test-pg-'));
  // When running as root, PostgreSQL runs as the `postgres` user, which must reach the data dir.
  await chmod(base, 0o755);
  const server = await startEmbeddedPostgres({
    dataDir: join(base, 'data'),
    port: await freePort(),
    database: 'parley_test',
  });
  return {
    url: server.url,
    teardown: async () => {
      await server.stop();
      await rm(base, { recursive: true, force: true });
    },
  };
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
