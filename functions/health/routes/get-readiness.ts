import * as z from 'zod';
import { json } from '#shared/http/responses';
import { defineRoute } from './define';

const check = z.object({ status: z.string() }).loose();
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
