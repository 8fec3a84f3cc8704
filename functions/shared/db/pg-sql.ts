import type pg from 'pg';
import type { Queryable, QueryResult, Sql, SqlDatabase } from './sql';

const run = async <Row>(client: pg.Pool | pg.PoolClient, statement: Sql): Promise<QueryResult<Row>> => {
  const result = await client.query(statement.toPg());
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
};

/**
 * Statements through node-postgres (the local server, tests, scripts). The pool is made on the
 * first statement, so loading this costs nothing until then.
 */
export function pgDatabase(makePool: () => Promise<pg.Pool>): SqlDatabase {
  let pool: Promise<pg.Pool> | undefined;
  const poolOf = () => (pool ??= makePool());
  return {
    query: async (statement) => run(await poolOf(), statement),
    async transaction(work) {
      const client = await (await poolOf()).connect();
      let broken: Error | undefined;
      try {
        await client.query('begin').catch((error: unknown) => {
          broken = error instanceof Error ? error : new Error(String(error));
          throw error;
        });
        const tx: Queryable = { query: (statement) => run(client, statement) };
        try {
          const result = await work(tx);
          await client.query('commit');
          return result;
        } catch (error) {
          await client.query('rollback').catch((rollbackError: unknown) => {
            // A connection that cannot roll back is not put back in the pool.
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          });
          throw error;
        }
      } finally {
        client.release(broken);
      }
    },
    async destroy() {
      const opened = pool;
      pool = undefined;
      if (opened) await (await opened).end();
    },
  };
}
