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
      200: { description: 'Ready, or degraded (working without the cache)', schema: readiness },
      503: { description: 'Down: the database cannot be reached', schema: readiness },
    },
  },
  async (_input, { checkReadiness }) => {
    const result = await checkReadiness();
    return json(result.status === 'down' ? 503 : 200, result);
  },
);
