import { getCache } from '../../shared/cache/get-cache';
import { getConfig } from '../../shared/config';
import { checkDatabase, getDatabase } from '../../shared/db/database';
import { apiHandler } from '../../shared/http/api-handler';
import { json, ok } from '../../shared/http/responses';
import { routeGroup } from '../../shared/http/router';
import { buildOpenApiDocument } from '../../api/openapi';
import { makeCheckReadiness } from '../use-cases/check-readiness';

const config = getConfig();
const checkReadiness = makeCheckReadiness({
  database: () => checkDatabase(getDatabase()),
  cache: {
    get kind() {
      return getCache().kind;
    },
    ping: () => getCache().ping(),
  },
  llmConfigured: Boolean(config.OPENAI_API_KEY ?? config.OPENAI_SECRET_ARN),
});

let openApi: unknown;

export const handler = routeGroup('health', {
  'health.live': apiHandler({ route: 'health.live' }, async () => ok({ status: 'ok' })),
  'health.ready': apiHandler({ route: 'health.ready' }, async () => {
    const readiness = await checkReadiness();
    return json(readiness.status === 'down' ? 503 : 200, readiness);
  }),
  'openapi.get': apiHandler({ route: 'openapi.get' }, async () => ok((openApi ??= buildOpenApiDocument()))),
});
