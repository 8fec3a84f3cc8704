import type { $ZodType } from 'zod/v4/core';
import * as z from '#shared/zod';
import { API_HEADERS } from '#shared/http/headers';
import { problemSchema } from '#shared/http/problem-schema';
import { routeBudget } from '#shared/http/route-budgets';
import type { HandlerGroup, RouteDeclaration, Scope } from '#shared/http/route';
import { TOKEN_URL_PLACEHOLDER } from './openapi-constants';
import { routes } from './index';

export { TOKEN_URL_PLACEHOLDER };

/**
 * The OpenAPI 3.1 document, generated from the route declarations and the very zod schemas the
 * handlers validate with, so the document cannot drift from what the API accepts and answers.
 * Spectral's `oas` ruleset finds nothing in it (openapi-lint.test.ts), and every answer the
 * integration tests receive is checked against it (test/support/openapi-conformance.ts).
 */
const SCOPES: Readonly<Record<Scope, string>> = {
  'parley/chat.read': 'Read conversations, messages and search, and download exports',
  'parley/chat.write': 'Start, rename and delete conversations, send messages and give feedback',
};

/** One tag per handler group: the function that answers the route. */
const TAGS: Readonly<Record<HandlerGroup, { name: string; description: string }>> = {
  health: { name: 'Health', description: 'Liveness, readiness and this document; no sign-in' },
  users: { name: 'Me', description: 'The signed-in user: profile, quota, own instructions, sign-out' },
  conversations: {
    name: 'Conversations',
    description: 'Conversations, their messages, search and feedback on replies',
  },
  chat: { name: 'Chat', description: 'Sending messages and writing replies with the model (streamed)' },
  exports: { name: 'Exports', description: 'Downloading a conversation as Markdown or JSON' },
  admin: {
    name: 'Administration',
    description: 'Users, usage, audit trail and feedback, for admins and auditors',
  },
};

const jsonSchema = (schema: $ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;

/** A schema inside another: the JSON Schema dialect is named once, at the Schema Object's root. */
const nestedSchema = (schema: $ZodType) => {
  const { $schema: _dialect, ...rest } = jsonSchema(schema, 'output');
  return rest;
};

/**
 * A stream of server-sent events, as OpenAPI 3.2 models one in `schema` (its media type
 * registry, text/event-stream): an array of events `{event, data, id, retry}`. Each event the
 * route sends is named, with its `data`: a JSON text whose schema is `contentSchema`. (3.2's
 * `itemSchema` says the same of each item as it arrives; 3.1 has no such field.)
 */
function eventStream(events: Readonly<Record<string, $ZodType>>) {
  return {
    type: 'array',
    description: `Server-sent events: ${Object.keys(events).join(', ')}; each one's data is JSON`,
    items: {
      oneOf: Object.entries(events).map(([name, data]) => ({
        title: `${name} event`,
        type: 'object',
        required: ['event', 'data'],
        properties: {
          event: { const: name },
          data: { type: 'string', contentMediaType: 'application/json', contentSchema: nestedSchema(data) },
          id: { type: 'string' },
          retry: { type: 'integer', minimum: 0 },
        },
        additionalProperties: false,
      })),
    },
  };
}

/**
 * What a parameter means, by its name (`path name` for the few whose meaning depends on the
 * route); a description registered on the parameter's own schema comes first.
 */
const PARAMETERS: Readonly<Record<string, string>> = {
  id: "The conversation's id",
  '/api/admin/users/{id} id': "The user's id: their Cognito sub, or a machine client's app client id",
  messageId: "The reply's id (a message of the conversation)",
  limit: 'The most items on this page',
  cursor: "The previous page's nextCursor, to read the next page",
  '/api/conversations q': 'Only conversations whose title contains this text (any case)',
  '/api/search q': 'The words to search for, in your own messages',
  '/api/admin/users q': 'Only people whose e-mail address or display name contains this text (any case)',
  format: 'The download: Markdown (to read) or JSON (with every field)',
  role: 'Only people with this role',
  status: 'Only people with this status',
  from: 'The first day included (YYYY-MM-DD, UTC)',
  to: 'The last day included (YYYY-MM-DD, UTC)',
  groupBy: 'One row per user or per day',
  actor: 'Only events by this user id',
  action: 'Only events of this action (e.g. conversation.delete)',
  target: "Only events about this target's id",
  rating: 'Only this rating',
  reason: 'Only this reason for a thumbs down',
  model: 'Only replies written by this model',
};

function parameters(path: string, location: 'path' | 'query', schema: $ZodType | undefined) {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as {
    properties?: Record<string, { description?: string }>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description = PARAMETERS[`${path} ${name}`] ?? PARAMETERS[name], ...rest } = property;
    return {
      name,
      in: location,
      description,
      required: location === 'path' || (object.required ?? []).includes(name),
      schema: rest,
    };
  });
}

/** A route's request headers as header parameters, named as HTTP writes them (`Idempotency-Key`). */
function headerParameters(headers: RouteDeclaration['headers']) {
  return Object.entries(headers ?? {}).map(([name, header]) => ({
    name: name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase()),
    in: 'header',
    description: header.description,
    required: false,
    schema: jsonSchema(header.schema, 'input'),
  }));
}

/** A header component's name: `X-Request-Id` → `XRequestId`. */
const componentName = (header: string) => header.replaceAll('-', '');

/** The headers on every answer of the API, errors included (functions/shared/http/headers.ts). */
const COMMON_HEADERS: Readonly<Record<string, { description: string; schema: Record<string, unknown> }>> = {
  ...Object.fromEntries(
    Object.entries(API_HEADERS).map(([name, value]) => [
      name,
      { description: `Always \`${value}\``, schema: { type: 'string', const: value } },
    ]),
  ),
  'Cache-Control': {
    description: '`no-store` on signed-in routes, `no-cache` on public ones',
    schema: { type: 'string' },
  },
  'X-Request-Id': {
    description: 'The request id, also in the logs and in a problem as requestId',
    schema: { type: 'string' },
  },
};

const RETRY_AFTER = {
  description: 'Seconds to wait before trying again',
  schema: { type: 'string', pattern: '^[0-9]+$' },
};

const headerRefs = (retryAfter: boolean) => ({
  ...Object.fromEntries(
    Object.keys(COMMON_HEADERS).map((name) => [
      name,
      { $ref: `#/components/headers/${componentName(name)}` },
    ]),
  ),
  ...(retryAfter ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } : {}),
});

const problemResponse = (description: string, retryAfter = false) => ({
  description,
  headers: headerRefs(retryAfter),
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** The problems many routes share, as components the operations refer to. */
const SHARED_PROBLEMS = {
  BadRequest: problemResponse('Invalid input: `errors` names each field'),
  Unauthorized: problemResponse('Missing, invalid or expired token'),
  Forbidden: problemResponse('Role or scope not allowed, or blocked by the web application firewall'),
  PayloadTooLarge: problemResponse('Body too large (on any route, one that takes no body included)'),
  UnsupportedMediaType: problemResponse('Body not JSON (on any route, one that takes no body included)'),
  TooManyRequests: problemResponse('Too many requests: the stage throttle', true),
  ServiceUnavailable: problemResponse(
    'The database is unavailable for a moment: try again after Retry-After',
    true,
  ),
  ServerError: problemResponse('Server error (no details)'),
  Blocked: problemResponse('Blocked by the web application firewall (its rules or rate limits)'),
  GatewayTimeout: problemResponse("The request took too long (API Gateway's integration timeout)"),
} as const;
const shared = (name: keyof typeof SHARED_PROBLEMS) => ({ $ref: `#/components/responses/${name}` });

/** Who may call the route, for its description. */
function accessText(route: RouteDeclaration): string {
  if (route.access === 'public') return 'Anyone, without a token.';
  const who = route.access === 'signed-in' ? 'Any signed-in user' : `Roles: ${route.access.join(', ')}`;
  const machines = route.scopes
    ? `; machine clients with the scope ${route.scopes.join(' or ')}`
    : '; not machine clients';
  return `${who}${machines}.`;
}

function operation(route: RouteDeclaration) {
  const secured = route.access !== 'public';
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const body = response.events
      ? eventStream(response.events)
      : response.schema && jsonSchema(response.schema, 'output');
    responses[status] = {
      description: response.description,
      headers: headerRefs(response.retryAfter ?? false),
      ...(body && {
        content: {
          [response.contentType ?? 'application/json']: { schema: body },
          ...(response.alternative && {
            [response.alternative.contentType]: {
              schema: jsonSchema(response.alternative.schema, 'output'),
            },
          }),
        },
      }),
    };
  }
  // Invalid parameters or body; a route that takes none refuses one it is sent.
  responses['400'] = shared('BadRequest');
  if (secured) {
    responses['401'] = shared('Unauthorized');
    responses['403'] = shared('Forbidden');
  } else {
    // The firewall in front of the API answers on every route; signed-in ones say 403 already.
    responses['403'] = shared('Blocked');
  }
  responses['429'] = shared('TooManyRequests');
  // Every signed-in route reads the caller's user row: without the database, 503 (Retry-After).
  if (secured) responses['503'] = shared('ServiceUnavailable');
  for (const [status, description] of Object.entries(route.problems ?? {})) {
    const orDatabase = secured && status === '503' ? '; or the database is unavailable for a moment' : '';
    responses[status] = problemResponse(`${description}${orDatabase}`, status === '429' || status === '503');
  }
  // A budgeted route's 429 says its budget too, besides the stage throttle or its own limits.
  const budget = secured ? routeBudget(route.id) : undefined;
  if (budget) {
    const own = route.problems?.[429];
    responses['429'] = problemResponse(
      `${own ? `${own}; or m` : 'M'}ore than ${budget.perMinute} ${budget.what} a minute by one caller (Retry-After: the seconds to the next minute); or the stage throttle`,
      true,
    );
  }
  // Every route checks a body it is sent, one it takes none included: too large, or not JSON.
  responses['413'] = shared('PayloadTooLarge');
  responses['415'] = shared('UnsupportedMediaType');
  responses['500'] = shared('ServerError');
  responses['504'] = shared('GatewayTimeout');
  return {
    operationId: route.id,
    summary: route.summary,
    description: `${route.summary}. ${accessText(route)}`,
    tags: [TAGS[route.group].name],
    ...(secured
      ? {
          security: [{ userToken: [] }, ...(route.scopes ? [{ machineClient: [...route.scopes] }] : [])],
          'x-parley-roles': route.access,
        }
      : { security: [] }),
    parameters: [
      ...parameters(route.path, 'path', route.params),
      ...parameters(route.path, 'query', route.query),
      ...headerParameters(route.headers),
    ],
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
  const groups = new Set(list.map((r) => r.group));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley API',
      version: '1',
      description:
        'Errors are application/problem+json. Authenticate with a Cognito access token as a Bearer token: a user’s, or a machine client’s from the client-credentials grant.',
      contact: { name: 'The operators of this Parley stage' },
    },
    servers: [{ url: '/' }],
    tags: (Object.entries(TAGS) as [HandlerGroup, { name: string; description: string }][])
      .filter(([group]) => groups.has(group))
      .map(([, tag]) => tag)
      .sort((a, b) => a.name.localeCompare(b.name)),
    paths,
    components: {
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
      responses: SHARED_PROBLEMS,
      headers: {
        ...Object.fromEntries(
          Object.entries(COMMON_HEADERS).map(([name, header]) => [
            componentName(name),
            { ...header, required: true },
          ]),
        ),
        RetryAfter: { ...RETRY_AFTER, required: true },
      },
      securitySchemes: {
        userToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A signed-in user’s Cognito access token (an ID token is refused)',
        },
        machineClient: {
          type: 'oauth2',
          description: 'A machine client’s Cognito access token, from the user pool domain’s token endpoint',
          flows: { clientCredentials: { tokenUrl: TOKEN_URL_PLACEHOLDER, scopes: SCOPES } },
        },
      },
    },
  };
}
