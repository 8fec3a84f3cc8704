import { getCache } from '#shared/cache/get-cache';
import { getConfig } from '#shared/config';
import { checkSql, getSql } from '#shared/db/sql-database';
import { TOKEN_URL_PLACEHOLDER } from '../api/openapi-constants';
import { makeCheckReadiness } from './use-cases/check-readiness';

/**
 * The document with the stage's token endpoint in place of the one it was written with (the
 * document is written before any stage exists); as written when the stage has none (locally).
 */
export function withTokenUrl(text: string, tokenUrl: string | undefined): string {
  return tokenUrl ? text.replaceAll(JSON.stringify(TOKEN_URL_PLACEHOLDER), JSON.stringify(tokenUrl)) : text;
}

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
        withTokenUrl(JSON.stringify(m.default), config.OAUTH_TOKEN_URL),
      )),
  };
}

export type HealthDeps = ReturnType<typeof healthDeps>;
