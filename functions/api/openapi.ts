import type { $ZodType } from 'zod/v4/core';
import * as z from '#shared/zod';
import type { RouteDeclaration } from '#shared/http/route';
import { routes } from './index';

/**
 * The OpenAPI 3.1 document, generated from the route declarations and the very zod schemas the
 * handlers validate with, so the document cannot drift from what the API accepts and answers.
 */
const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  requestId: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});

const jsonSchema = (schema: $ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;

function parameters(location: 'path' | 'query', schema: $ZodType | undefined) {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (object.required ?? []).includes(name),
    schema: property,
  }));
}

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

function operation(route: RouteDeclaration) {
  const secured = route.access !== 'public';
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = response.schema
      ? {
          description: response.description,
          content: {
            [response.contentType ?? 'application/json']: { schema: jsonSchema(response.schema, 'output') },
            ...(response.alternative && {
              [response.alternative.contentType]: {
                schema: jsonSchema(response.alternative.schema, 'output'),
              },
            }),
          },
        }
      : { description: response.description };
  }
  if (route.params || route.query || route.body) responses['400'] = problemResponse('Invalid input');
  if (secured) {
    responses['401'] = problemResponse('Missing, invalid or expired token');
    responses['403'] = problemResponse('Role not allowed');
  }
  for (const [status, description] of Object.entries(route.problems ?? {}))
    responses[status] = problemResponse(description);
  if (route.body) {
    responses['413'] = problemResponse('Body too large');
    responses['415'] = problemResponse('Body not JSON');
  }
  responses['500'] = problemResponse('Server error (no details)');
  return {
    operationId: route.id,
    summary: route.summary,
    ...(secured
      ? { security: [{ cognito: route.scopes ? [...route.scopes] : [] }], 'x-parley-roles': route.access }
      : { security: [] }),
    parameters: [...parameters('path', route.params), ...parameters('query', route.query)],
    ...(route.body
      ? {
          requestBody: {
            required: false,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument(list: readonly RouteDeclaration[] = routes) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of list) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley API',
      version: '1',
      description:
        'Errors are application/problem+json. Authenticate with a Cognito access token as a Bearer token.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Problem: jsonSchema(problem, 'output') },
      securitySchemes: { cognito: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
