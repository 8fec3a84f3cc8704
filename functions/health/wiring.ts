import { getCache } from '#shared/cache/get-cache';
import { getConfig } from '#shared/config';
import { checkSql, getSql } from '#shared/db/sql-database';
import { makeCheckReadiness } from './use-cases/check-readiness';

/** The health group's checks (built once, on the first request). */
export function healthDeps() {
  const config = getConfig();
  let openApi: Promise<string> | undefined;
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
    /**
     * The OpenAPI document as `npm run docs:openapi` wrote it from the routes (its test holds the
     * two equal): loaded on its first request, so the health checks never pay for it, and written
     * as text once.
     */
    openApiText: () =>
      (openApi ??= import('../api/openapi.json', { with: { type: 'json' } }).then((m) =>
        JSON.stringify(m.default),
      )),
  };
}

export type HealthDeps = ReturnType<typeof healthDeps>;
