import pg from 'pg';
import { loggableErrorMessage } from '../loggable-error';

/** Abandon a statement after this long; Lambda handlers behind API Gateway have 29 s in all. */
const STATEMENT_TIMEOUT_MS = 15_000;
/** Close idle pooled connections quickly: a frozen Lambda must not hold server slots for long. */
const IDLE_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;
const PG_DATE_OID = 1082;

export interface PgPoolConfig {
  readonly DATABASE_URL: string;
  readonly DB_POOL_MAX?: number;
  readonly DB_SSL?: boolean | undefined;
}

/**
 * The node-postgres pool of the `pg` driver (the local server, tests, scripts). Loaded only by
 * `createDatabase` when that driver is chosen; the Lambda bundles leave it out (the Data API is
 * their driver).
 */
/** Pools of this process not yet ended, so whoever stops the database server can end them first. */
const openPools = new Set<pg.Pool>();

/**
 * Ends every pool this process opened and has not ended. The local server calls it before it
 * stops PostgreSQL, so no connection is cut by the server's shutdown, whoever made the pool.
 */
export async function endOpenPools(): Promise<void> {
  await Promise.all([...openPools].map((pool) => pool.end()));
}

/**
 * A lost connection's error as a log line may hold it (these lines bypass the logger and its
 * allow-list): without credentials of a URL, or a Detail line quoting a row.
 */
function messageOf(error: Error & { code?: unknown }): string {
  return loggableErrorMessage(
    error.name,
    error.message,
    typeof error.code === 'string' ? error.code : undefined,
  );
}

export function createPgPool(config: PgPoolConfig): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.DB_POOL_MAX ?? 10,
    ssl: config.DB_SSL ? { rejectUnauthorized: true } : undefined,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // `date` columns stay 'YYYY-MM-DD' strings (schema.ts): pg's default turns them into
    // local-midnight Dates, which shift a day in any zone west of UTC.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_DATE_OID && format !== 'binary'
          ? (value: string) => value
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server closes (restart, failover, idle timeout) emits 'error' on the
  // pool; unhandled, that would crash the process. The pool drops it and reconnects on demand.
  pool.on('error', (error) =>
    console.warn(
      JSON.stringify({ level: 'WARN', message: 'idle database connection lost', error: messageOf(error) }),
    ),
  );
  // A connection in use (between a transaction's statements) gets the server's "terminating
  // connection" as an 'error' event of its own, which the pool does not listen to; unhandled, it
  // would crash the process. Its next query fails instead, and the caller answers 503.
  pool.on('connect', (client) =>
    client.on('error', (error) =>
      console.warn(
        JSON.stringify({ level: 'WARN', message: 'database connection lost', error: messageOf(error) }),
      ),
    ),
  );
  openPools.add(pool);
  const end = pool.end.bind(pool);
  pool.end = (() => {
    openPools.delete(pool);
    return end();
  }) as typeof pool.end;
  return pool;
}
