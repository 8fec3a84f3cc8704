import { ok } from '#shared/http/responses';
import * as z from '#shared/zod';
import { defineRoute } from './define';

export const getLiveness = defineRoute(
  {
    id: 'health.live',
    method: 'GET',
    path: '/api/health',
    summary: 'Liveness (no I/O)',
    access: 'public',
    responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
  },
  async () => ok({ status: 'ok' }),
);
