import { DATABASE_RETRY_AFTER_SECONDS } from '#shared/db/unavailable';
import { json } from '#shared/http/responses';
import * as z from '#shared/zod';
import { defineRoute } from './define';

const check = z.looseObject({ status: z.string() });
const readiness = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  checks: z.object({ database: check, cache: check, llm: check }),
});

export const getReadiness = defineRoute(
  {
    id: 'health.ready',
    method: 'GET',
    path: '/api/health/ready',
    summary: 'Readiness of the database, cache and model (503 when down)',
    access: 'public',
    responses: {
      200: {
        description: 'Ready, or degraded (working without the cache, or Aurora resuming from zero capacity)',
        schema: readiness,
      },
      503: {
        description: 'Down: the database cannot be reached; ask again after Retry-After',
        schema: readiness,
        retryAfter: true,
      },
    },
  },
  async (_input, { checkReadiness }) => {
    const result = await checkReadiness();
    // Down says when to ask again, as every other 503 of the API does: a load balancer or a
    // client backs off instead of probing in a loop while the database comes back.
    if (result.status === 'down')
      return json(503, result, { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) });
    return json(200, result);
  },
);
