import * as z from 'zod';
import {
  conversationIdParams,
  createConversationBody,
  listConversationsQuery,
  renameConversationBody,
} from '../conversations/domain/conversation';
import { ROLES } from '../shared/domain/roles';
import { routes, type RouteDefinition } from './routes';

/**
 * The OpenAPI 3.1 document, generated from the route table and the same zod schemas the handlers
 * validate with, so the document cannot drift from what the API accepts.
 */
const roleSchema = z.enum(ROLES).nullable();

const conversation = z.object({
  id: z.uuid(),
  title: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  messageCount: z.int(),
});

const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  requestId: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

const check = z.object({ status: z.string() }).loose();

interface Contract {
  readonly summary: string;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly response: { readonly status: number; readonly schema?: z.ZodType };
}

const contracts: Record<string, Contract> = {
  'health.live': {
    summary: 'Liveness',
    response: { status: 200, schema: z.object({ status: z.literal('ok') }) },
  },
  'health.ready': {
    summary: 'Readiness of the database, cache and model (503 when down)',
    response: {
      status: 200,
      schema: z.object({
        status: z.enum(['ok', 'degraded', 'down']),
        checks: z.object({ database: check, cache: check, llm: check }),
      }),
    },
  },
  'openapi.get': { summary: 'This document', response: { status: 200, schema: z.object({}).loose() } },
  'me.get': {
    summary: 'The signed-in user',
    response: {
      status: 200,
      schema: z.object({
        id: z.string(),
        email: z.string(),
        displayName: z.string(),
        role: roleSchema,
        mfaEnabled: z.boolean(),
        quota: z.object({ monthlyTokens: z.int(), usedTokens: z.int() }),
      }),
    },
  },
  'conversations.list': {
    summary: "The caller's conversations, newest first (keyset pagination)",
    query: listConversationsQuery,
    response: {
      status: 200,
      schema: z.object({ items: z.array(conversation), nextCursor: z.string().nullable() }),
    },
  },
  'conversations.create': {
    summary: 'Start a conversation',
    body: createConversationBody,
    response: { status: 201, schema: conversation },
  },
  'conversations.get': {
    summary: 'One conversation',
    params: conversationIdParams,
    response: { status: 200, schema: conversation },
  },
  'conversations.rename': {
    summary: 'Rename a conversation',
    params: conversationIdParams,
    body: renameConversationBody,
    response: { status: 200, schema: conversation },
  },
  'conversations.delete': {
    summary: 'Delete a conversation',
    params: conversationIdParams,
    response: { status: 204 },
  },
};

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;

function parameters(location: 'path' | 'query', schema: z.ZodType | undefined) {
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

function operation(route: RouteDefinition) {
  const contract = contracts[route.id];
  if (!contract) throw new Error(`No contract for route ${route.id}`);
  const secured = route.access !== 'public';
  const responses: Record<string, unknown> = {
    [contract.response.status]: contract.response.schema
      ? {
          description: 'Success',
          content: { 'application/json': { schema: jsonSchema(contract.response.schema, 'output') } },
        }
      : { description: 'Success' },
  };
  if (contract.params || contract.query || contract.body) responses['400'] = problemResponse('Invalid input');
  if (secured) {
    responses['401'] = problemResponse('Missing, invalid or expired token');
    responses['403'] = problemResponse('Role not allowed');
  }
  if (contract.params) responses['404'] = problemResponse('Not found, or not yours');
  if (contract.body) {
    responses['413'] = problemResponse('Body too large');
    responses['415'] = problemResponse('Body not JSON');
  }
  responses['500'] = problemResponse('Server error (no details)');
  return {
    operationId: route.id,
    summary: contract.summary,
    ...(secured
      ? {
          security: [{ cognito: route.scopes ? [...route.scopes] : [] }],
          'x-parley-roles': route.access,
        }
      : { security: [] }),
    parameters: [...parameters('path', contract.params), ...parameters('query', contract.query)],
    ...(contract.body
      ? {
          requestBody: {
            required: false,
            content: { 'application/json': { schema: jsonSchema(contract.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
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
