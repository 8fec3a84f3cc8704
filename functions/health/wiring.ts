import { isDatabaseResuming } from '#shared/aws/data-api-client';
import { getCache } from '#shared/cache/get-cache';
import { getConfig } from '#shared/config';
import type { DatabaseConfig } from '#shared/db/database';
import { checkSql, createSqlDatabase, getSql } from '#shared/db/sql-database';
import type { SqlDatabase } from '#shared/db/sql';
import { errorSummary, type ErrorSummary } from '#shared/http/error-handler';
import { logger } from '#shared/powertools';
import { TOKEN_URL_PLACEHOLDER } from '../api/openapi-constants';
import { makeCheckReadiness } from './use-cases/check-readiness';

/**
 * The document with the stage's token endpoint in place of the one it was written with (the
 * document is written before any stage exists); as written when the stage has none (locally).
 */
export function withTokenUrl(text: string, tokenUrl: string | undefined): string {
  return tokenUrl ? text.replaceAll(JSON.stringify(TOKEN_URL_PLACEHOLDER), JSON.stringify(tokenUrl)) : text;
}

/** What the readiness check reports of the database. */
export interface DatabaseReadiness {
  readonly status: 'ok' | 'resuming' | 'down';
  readonly latencyMs: number;
}

/**
 * The readiness check's database probe (checkSql), logging why it failed: the public answer says
 * `down` and nothing more, which left the operator with a 503 and no cause. One WARN line per
 * failed check (the use case reuses a `down` for DATABASE_DOWN_TTL_MS, so a probe storm is not a
 * log storm); see logReadinessFailure. Aurora resuming from zero capacity (the Data API's
 * DatabaseResumingException) is `resuming`, not a failure: requests wait for it and succeed.
 */
export async function checkDatabase(
  db: SqlDatabase,
  log: Pick<typeof logger, 'warn'> = logger,
  timeoutMs?: number,
): Promise<DatabaseReadiness> {
  const result = await checkSql(db, timeoutMs);
  if (result.status === 'ok') return { status: 'ok', latencyMs: result.latencyMs };
  if (isDatabaseResuming(result.failure)) return { status: 'resuming', latencyMs: result.latencyMs };
  logReadinessFailure(log, 'database', result.failure, result.latencyMs);
  return { status: 'down', latencyMs: result.latencyMs };
}

/**
 * The database the readiness probe asks. On the Data API, a client of its own that does not wait
 * for Aurora to resume (the API's does, up to 45 s, past the probe's timeout, which made a normal
 * resume look `down`): the probe sees DatabaseResumingException at once, and its call is what
 * starts the resume. On PostgreSQL, the process's pool.
 */
export function readinessDatabase(config: DatabaseConfig): () => SqlDatabase {
  let probe: SqlDatabase | undefined;
  return () =>
    config.DB_DRIVER === 'data-api'
      ? (probe ??= createSqlDatabase(config, { resumeRetry: { maxElapsedMs: 0 } }))
      : getSql();
}

/**
 * The one line a failed readiness check logs (WARN `readiness check failed`): which check, how
 * long it took, and the error's name, message and code (errorSummary: any credentials in a URL
 * cut out, no stack); a timeout says so. The cache's is logged on each readiness request that
 * found it down (it is pinged on each), the database's once per check (see checkDatabase).
 */
export function logReadinessFailure(
  log: Pick<typeof logger, 'warn'>,
  check: 'database' | 'cache',
  failure: unknown,
  latencyMs: number,
): void {
  const cause =
    failure === 'timeout'
      ? { errorName: 'Timeout', errorMessage: `the ${check} did not answer in time` }
      : causeOf(errorSummary(failure));
  log.warn('readiness check failed', { check, latencyMs, ...cause });
}

const causeOf = ({ name, message, code }: ErrorSummary) => ({
  errorName: name,
  errorMessage: message,
  ...(code === undefined ? {} : { errorCode: code }),
});

/** The health group's checks (built once, on the first request). */
export function healthDeps() {
  const config = getConfig();
  let openApi: Promise<string> | undefined;
  const database = readinessDatabase(config);
  return {
    checkReadiness: makeCheckReadiness({
      database: () => checkDatabase(database()),
      cache: {
        get kind() {
          return getCache().kind;
        },
        ping: () => getCache().ping(),
      },
      cacheFailed: (failure, latencyMs) => logReadinessFailure(logger, 'cache', failure, latencyMs),
      llmConfigured: Boolean(config.OPENAI_API_KEY ?? config.OPENAI_SECRET_ARN),
    }),
    /**
     * The OpenAPI document as `npm run docs:openapi` wrote it from the routes (its test holds the
     * two equal): loaded on its first request, so the health checks never pay for it, and written
     * as text once.
     */
    openApiText: () =>
      (openApi ??= import('../api/openapi.json', { with: { type: 'json' } }).then((m) =>
        withTokenUrl(JSON.stringify(m.default), config.OAUTH_TOKEN_URL),
      )),
  };
}

export type HealthDeps = ReturnType<typeof healthDeps>;
