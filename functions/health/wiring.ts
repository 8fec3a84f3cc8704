import { buildOpenApiDocument } from '#api/openapi';
import { getCache } from '#shared/cache/get-cache';
import { getConfig } from '#shared/config';
import { checkSql, getSql } from '#shared/db/sql-database';
import { makeCheckReadiness } from './use-cases/check-readiness';

/** The health group's checks (built once, on the first request). */
export function healthDeps() {
  const config = getConfig();
  let openApi: unknown;
  return {
    checkReadiness: makeCheckReadiness({
      database: () => checkSql(getSql()),
      cache: {
        get kind() {
          return getCache().kind;
        },
        ping: () => getCache().ping(),
      },
      llmConfigured: Boolean(config.OPENAI_API_KEY ?? config.OPENAI_SECRET_ARN),
    }),
    openApiDocument: () => (openApi ??= buildOpenApiDocument()),
  };
}

export type HealthDeps = ReturnType<typeof healthDeps>;
