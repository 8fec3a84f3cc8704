import { okJsonText } from '#shared/http/responses';
import * as z from '#shared/zod';
import { defineRoute } from './define';

export const getOpenApi = defineRoute(
  {
    id: 'openapi.get',
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This document',
    access: 'public',
    responses: { 200: { description: 'The OpenAPI 3.1 document', schema: z.looseObject({}) } },
  },
  async (_input, { openApiText }) => okJsonText(await openApiText()),
);
