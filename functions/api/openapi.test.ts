import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { OPENAPI_FILE, openApiText } from '../../bin/docs-openapi';

import { buildOpenApiDocument, TOKEN_URL_PLACEHOLDER } from './openapi';
import { routes } from './index';

interface Operation {
  operationId: string;
  security: Record<string, string[]>[];
  'x-parley-roles'?: unknown;
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, unknown>;
}
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  maxLength?: number;
  minLength?: number;
  additionalProperties?: unknown;
}

const document = buildOpenApiDocument();
const paths = document.paths as Record<string, Record<string, Operation>>;
const operationOf = (method: string, path: string): Operation | undefined =>
  paths[path]?.[method.toLowerCase()];

describe('the OpenAPI document the health function serves (functions/api/openapi.json)', () => {
  it('is the one the routes make now: run `npm run docs:openapi` after changing a route', async () => {
    const written = await readFile(OPENAPI_FILE, 'utf8');
    expect(written, 'functions/api/openapi.json is stale: run `npm run docs:openapi`').toBe(openApiText());
    expect(JSON.parse(written)).toEqual(JSON.parse(JSON.stringify(document)));
  });
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info.title).toBe('Parley API');
  });

  it('has one operation per route of the route table, named by its id', () => {
    // Act
    const operations = Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );

    // Assess
    expect(operations.sort()).toEqual(routes.map((r) => `${r.method} ${r.path} ${r.id}`).sort());
  });

  it('gives every operation a unique operationId', () => {
    const ids = routes.map((r) => operationOf(r.method, r.path)?.operationId);

    expect(new Set(ids).size).toBe(routes.length);
  });

  it('limits the title of a new conversation to 200 characters and requires no field', () => {
    // Act
    const schema = operationOf('POST', '/api/conversations')?.requestBody?.content['application/json'].schema;

    // Assess
    expect(schema?.properties?.title).toMatchObject({ type: 'string', maxLength: 200, minLength: 1 });
    expect(schema?.required ?? []).not.toContain('title');
    expect(schema?.additionalProperties).toBe(false);
  });

  it('requires the title when renaming a conversation', () => {
    const schema = operationOf('PATCH', '/api/conversations/{id}')?.requestBody?.content['application/json']
      .schema;

    expect(schema?.required).toEqual(['title']);
    expect(schema?.properties?.title?.maxLength).toBe(200);
  });

  it('documents path parameters as required and list query parameters', () => {
    const get = operationOf('GET', '/api/conversations/{id}');
    const list = operationOf('GET', '/api/conversations');

    expect(get?.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(list?.parameters.map((p) => `${p.in}:${p.name}`).sort()).toEqual([
      'query:cursor',
      'query:limit',
      'query:q',
    ]);
    expect(list?.parameters.every((p) => !p.required)).toBe(true);
  });

  it('declares the Idempotency-Key header a send takes, optional, with its limits', () => {
    const send = operationOf('POST', '/api/conversations/{id}/messages');

    expect(send?.parameters).toContainEqual(
      expect.objectContaining({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: expect.objectContaining({ type: 'string', minLength: 1, maxLength: 200 }),
      }),
    );
  });

  it('declares security on every secured route, with the route scopes', () => {
    for (const route of routes.filter((r) => r.access !== 'public')) {
      const operation = operationOf(route.method, route.path);

      // A user's token, or a machine client's with one of the route's scopes (routes without
      // scopes are users' only).
      expect(operation?.security, route.id).toEqual([
        { userToken: [] },
        ...(route.scopes ? [{ machineClient: [...route.scopes] }] : []),
      ]);
      expect(operation?.responses, route.id).toHaveProperty('401');
      expect(operation?.responses, route.id).toHaveProperty('403');
    }
  });

  it('declares an empty security list on public routes, and no 401', () => {
    const publicRoutes = routes.filter((r) => r.access === 'public');
    expect(publicRoutes.length).toBeGreaterThan(0);

    for (const route of publicRoutes) {
      const operation = operationOf(route.method, route.path);

      expect(operation?.security, route.id).toEqual([]);
      expect(operation?.responses, route.id).not.toHaveProperty('401');
      // The firewall's 403 only.
      expect(operation?.responses['403'], route.id).toEqual({ $ref: '#/components/responses/Blocked' });
    }
  });

  it("defines users' bearer tokens and machine clients' client-credentials flow as separate schemes", () => {
    const { userToken, machineClient } = document.components.securitySchemes;
    expect(userToken).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(machineClient).toMatchObject({
      type: 'oauth2',
      flows: { clientCredentials: { tokenUrl: TOKEN_URL_PLACEHOLDER } },
    });
    // Every scope a route asks for is one the flow grants, and no other.
    const used = new Set(routes.flatMap((r) => r.scopes ?? []));
    expect(Object.keys(machineClient.flows.clientCredentials.scopes).sort()).toEqual([...used].sort());
  });

  it('describes errors as problem+json with a shared Problem schema, the throttle on every route', () => {
    const responses = operationOf('POST', '/api/conversations')?.responses ?? {};

    expect(Object.keys(responses).sort()).toEqual([
      '201',
      '400',
      '401',
      '403',
      '404',
      '409',
      '413',
      '415',
      '429',
      '500',
      '503',
      '504',
    ]);
    expect(responses['400']).toEqual({ $ref: '#/components/responses/BadRequest' });
    expect(document.components.responses.BadRequest).toMatchObject({
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
    expect(document.components.schemas.Problem).toMatchObject({
      required: expect.arrayContaining(['type', 'title', 'status', 'detail', 'requestId']),
    });
    for (const route of routes) {
      expect(operationOf(route.method, route.path)?.responses['429'], route.id).toBeDefined();
    }
  });

  it('declares the security headers on every answer, and Retry-After on every 429 and 503 problem (and a 503 that says it sends one)', () => {
    const { components } = document;
    const resolve = (response: unknown) => {
      const ref = (response as { $ref?: string }).$ref;
      return (
        ref ? components.responses[ref.split('/').pop() as keyof typeof components.responses] : response
      ) as {
        headers: Record<string, { $ref: string }>;
        content?: Record<string, unknown>;
      };
    };
    const headerOf = (ref: { $ref: string } | undefined) =>
      ref && components.headers[ref.$ref.split('/').pop() as keyof typeof components.headers];
    for (const route of routes) {
      for (const [status, response] of Object.entries(
        operationOf(route.method, route.path)?.responses ?? {},
      )) {
        const { headers } = resolve(response);
        const where = `${route.id} ${status}`;
        expect(headerOf(headers['Strict-Transport-Security']), where).toMatchObject({
          required: true,
          schema: { const: 'max-age=63072000; includeSubDomains; preload' },
        });
        expect(headerOf(headers['Content-Security-Policy']), where).toMatchObject({
          schema: { const: "default-src 'none'; frame-ancestors 'none'" },
        });
        for (const name of ['X-Content-Type-Options', 'Referrer-Policy', 'Cache-Control', 'X-Request-Id'])
          expect(headerOf(headers[name]), `${where} ${name}`).toMatchObject({ required: true });
        const problem = 'application/problem+json' in (resolve(response).content ?? {});
        const declared = (route.responses as Record<string, { retryAfter?: boolean }>)[status]?.retryAfter;
        expect(headerOf(headers['Retry-After']) !== undefined, where).toBe(
          status === '429' || (status === '503' && (problem || declared === true)),
        );
      }
    }
  });

  it('describes every operation and parameter, and tags each with its function', () => {
    for (const route of routes) {
      const operation = operationOf(route.method, route.path) as unknown as {
        description: string;
        tags: string[];
        parameters: { name: string; description?: string }[];
      };
      expect(operation.description, route.id).toContain(route.summary);
      expect(operation.tags, route.id).toHaveLength(1);
      for (const p of operation.parameters) expect(p.description, `${route.id} ${p.name}`).toBeTruthy();
    }
    expect(operationOf('GET', '/api/conversations')).toMatchObject({
      description: expect.stringContaining('machine clients with the scope parley/chat.read'),
    });
    expect(operationOf('GET', '/api/admin/users')).toMatchObject({
      description: expect.stringContaining('Roles: admins; not machine clients'),
    });
  });

  it('documents a 204 without content for delete', () => {
    const deleted = operationOf('DELETE', '/api/conversations/{id}')?.responses['204'];
    expect(deleted).toMatchObject({
      description: expect.stringMatching(/^Deleted: .*erased for good by the daily retention run/),
    });
    expect(deleted).not.toHaveProperty('content');
  });

  it('documents both media types of a 200 chosen by Accept (regenerating a reply)', () => {
    const ok = operationOf('POST', '/api/conversations/{id}/messages/{messageId}/regenerate')?.responses[
      '200'
    ] as { content: Record<string, { schema: JsonSchema }> } | undefined;
    expect(Object.keys(ok?.content ?? {})).toEqual(['text/event-stream', 'application/json']);
    expect(ok?.content['application/json']?.schema.required).toEqual(['assistantMessage']);
  });

  it('declares each server-sent event a reply stream carries, with the schema of its JSON data', () => {
    const events = (method: string, path: string, status: string) => {
      const response = operationOf(method, path)?.responses[status] as
        | { content: Record<string, { schema: { type: string; items: { oneOf: EventSchema[] } } }> }
        | undefined;
      const stream = response?.content['text/event-stream']?.schema;
      expect(stream?.type).toBe('array');
      return Object.fromEntries((stream?.items.oneOf ?? []).map((e) => [e.properties.event.const, e]));
    };
    interface EventSchema {
      required: string[];
      properties: {
        event: { const: string };
        data: { type: string; contentMediaType: string; contentSchema: JsonSchema };
      };
    }
    const sent = events('POST', '/api/conversations/{id}/messages', '200');
    expect(Object.keys(sent).sort()).toEqual(['delta', 'done', 'error', 'message', 'reply']);
    expect(sent.delta?.required).toEqual(['event', 'data']);
    expect(sent.delta?.properties.data).toMatchObject({
      type: 'string',
      contentMediaType: 'application/json',
      contentSchema: { properties: { text: { type: 'string' } }, required: ['text'] },
    });
    expect(sent.done?.properties.data.contentSchema.required).toContain('usage');
    // The error event is a problem; the reply as stored comes with it when the turn failed.
    expect(sent.error?.properties.data.contentSchema.required).toEqual([
      'type',
      'title',
      'status',
      'detail',
      'requestId',
    ]);
    expect(Object.keys(sent.error?.properties.data.contentSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['retryAfter', 'message']),
    );
    // A nested schema does not name the dialect again: only a Schema Object's root does.
    expect(sent.done?.properties.data.contentSchema).not.toHaveProperty('$schema');
    // A reply written again has no `reply` event: the caller named the reply.
    const regenerated = events('POST', '/api/conversations/{id}/messages/{messageId}/regenerate', '200');
    expect(Object.keys(regenerated).sort()).toEqual(['delta', 'done', 'error', 'message']);
  });
});
