import { randomBytes } from 'node:crypto';

import pg from 'pg';
import { inject } from 'vitest';

/**
 * An empty database on the test server, for tests that must own a whole schema (migrating down,
 * say). Returns its URL and a `drop` to call in `afterAll`.
 */
export async function createScratchDatabase(
  prefix = 'parley_scratch',
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const serverUrl = inject('databaseUrl');
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withPgClient(serverUrl, (c) => c.query(`create database ${c.escapeIdentifier(name)}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      withPgClient(serverUrl, async (c) => {
        // A pool's end() resolves once its clients are told to close, not once they have: a
        // forced drop would end one still closing with an error its client no longer listens for,
        // which the run reports as an unhandled error (a clean-clone CI run failed so). Wait for
        // them, briefly, first; whatever is left after 2 s is ended by the drop.
        for (let waited = 0; waited < 2_000; waited += 50) {
          const { rows } = await c.query<{ open: number }>(
            'select count(*)::int as open from pg_stat_activity where datname = $1',
            [name],
          );
          if ((rows[0]?.open ?? 0) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`);
      }),
  };
}

/** Runs `work` on a connection of its own to `url`, closed after (statements on the server itself). */
export async function withPgClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
