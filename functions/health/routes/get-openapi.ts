import * as z from 'zod';
import { ok } from '#shared/http/responses';
import { defineRoute } from './define';

export const getOpenApi = defineRoute(
  {
    id: 'openapi.get',
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This document',
    access: 'public',
    responses: { 200: { description: 'The OpenAPI 3.1 document', schema: z.object({}).loose() } },
  },
  async (_input, { openApiDocument }) => ok(openApiDocument()),
);
