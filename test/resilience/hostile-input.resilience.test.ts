import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { installLambdaStreamingGlobals } from '../../bin/local/streaming';
import { setUpApiEnvironment } from '../support/api';
import { conformanceProblems } from '../support/openapi-conformance';
import { createTestUser, testDatabase } from '../support/database';
import { fakeIdentityProvider } from '../support/fakes/admin';
import { fakeSessions } from '../support/fakes/users';
import { record, setting } from './support/figures';
import {
  deepJson,
  hostileCursor,
  hostileString,
  IMPOSSIBLE_DATES,
  INJECTION_PAYLOADS,
  PROTOTYPE_KEYS,
  SPLITTING,
  TRAVERSAL,
  wrongJson,
} from './support/hostile';
import { invoke, ownRecord, type RawRequest, type RawResponse } from './support/invoke';

/**
 * Hostile input over every route of the OpenAPI document, in process through the real handlers
 * (PostgreSQL, and Redis when REDIS_URL is set; the offline model; Cognito's admin calls faked at
 * the AWS edge). Bounded: RESILIENCE_HOSTILE_CASES in all (default 10,000), split over the routes.
 */
const issuer = setUpApiEnvironment({
  OFFLINE_MODEL_DELAY_MS: '0',
  CHAT_RATE_LIMIT_PER_MINUTE: '10000',
  ROUTE_BUDGET_MULTIPLIER: '10000',
  DEFAULT_MONTHLY_TOKENS: '2000000000',
  ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
});
installLambdaStreamingGlobals();
const { routes } = await import('#api/index');
const { buildOpenApiDocument } = await import('#api/openapi');
const { API_HEADERS } = await import('#shared/http/headers');
const { setAdminDependencies } = await import('#admin/wiring');
const idp = fakeIdentityProvider();
setAdminDependencies({ identity: () => idp.provider });
const { sessions } = fakeSessions();
(await import('#users/wiring')).setUserDependencies({ sessions: () => sessions });

const TOTAL_CASES = setting('HOSTILE_CASES', 10_000);
const perRoute = Math.ceil(TOTAL_CASES / routes.length);
const db = testDatabase();
const document = buildOpenApiDocument();

interface Caller {
  readonly id: string;
  readonly token: string;
}
let member: Caller;
let admin: Caller;
let auditor: Caller;
/** Signs out, gets disabled and demoted by the tests; no other caller's token is ever revoked. */
let victim: Caller;
const conversationIds: string[] = [];
/** Finished replies of the member's, one in each of those conversations. */
const replyIds: string[] = [];
const statuses = new Map<number, number>();
let cases = 0;

async function caller(role: 'members' | 'admins' | 'auditors'): Promise<Caller> {
  const user = await createTestUser(db, { role });
  // Cognito knows the users the admin routes act on.
  await idp.provider.createUser(user.email).catch(() => undefined);
  const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': [role] });
  return { id: user.id, token };
}

beforeAll(async () => {
  [member, admin, auditor, victim] = await Promise.all([
    caller('members'),
    caller('admins'),
    caller('auditors'),
    caller('members'),
  ]);
  for (let i = 0; i < 5; i += 1) {
    const created = await invoke(
      request('conversations', 'POST', '/api/conversations', {}, member.token, '{}'),
    );
    conversationIds.push((JSON.parse(created.text) as { id: string }).id);
  }
  // A finished reply in each, for the routes on one reply (feedback).
  for (const conversationId of conversationIds) {
    const reply = await db
      .insertInto('messages')
      .values({ conversation_id: conversationId, owner_id: member.id, role: 'assistant', content: 'Reply' })
      .returning('id')
      .executeTakeFirstOrThrow();
    replyIds.push(reply.id);
  }
});

afterAll(async () => {
  await db.destroy();
});

function request(
  group: RawRequest['group'],
  method: string,
  resource: string,
  params: Record<string, string>,
  token: string | undefined,
  body: string | null,
): RawRequest {
  const path = resource.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
  return {
    group,
    method,
    resource,
    path,
    pathParameters: Object.keys(params).length > 0 ? params : null,
    query: null,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== null ? { 'Content-Type': 'application/json' } : {}),
    },
    body,
  };
}

interface OpenApiOperation {
  parameters?: { name: string; in: 'path' | 'query' }[];
  requestBody?: { content: { 'application/json': { schema: { properties?: Record<string, unknown> } } } };
}

function operationOf(route: (typeof routes)[number]): OpenApiOperation {
  const paths = document.paths as Record<string, Record<string, OpenApiOperation>>;
  const operation = paths[route.path]?.[route.method.toLowerCase()];
  if (!operation) throw new Error(`${route.method} ${route.path} is not in the OpenAPI document`);
  return operation;
}

/** Who calls: the route's own roles mostly, else anyone, no one, or a forged token. */
function authorization(route: (typeof routes)[number]): fc.Arbitrary<string | undefined> {
  // Signing out revokes the caller's tokens: only the victim ever does it to themself.
  if (route.id === 'me.sign-out') return fc.constantFrom(victim.token, undefined, 'Bearer x');
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(member.token) },
    { weight: 3, arbitrary: fc.constant(admin.token) },
    { weight: 1, arbitrary: fc.constantFrom(auditor.token, victim.token) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'null', 'Bearer', 'Basic YTpi') },
    {
      weight: 1,
      arbitrary: fc.oneof(
        hostileString,
        fc.constant(`${admin.token.slice(0, -4)}AAAA`),
        fc.constant(`${member.token.split('.').slice(0, 2).join('.')}.`),
      ),
    },
  );
}

const pathValue = (name: string): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ...(name === 'id' ? [...conversationIds, victim.id] : name === 'messageId' ? replyIds : ['x']),
      ),
    },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 4, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.constantFrom(...TRAVERSAL) },
  );

/** A value for a named query parameter: cursors and dates get their own hostile forms. */
const queryValue = (name: string): fc.Arbitrary<string> => {
  if (name === 'cursor') return hostileCursor;
  if (['from', 'to'].includes(name))
    return fc.oneof(
      fc.constantFrom(...IMPOSSIBLE_DATES),
      hostileString,
      fc.date().map((d) => String(d)),
    );
  return hostileString;
};

function queryArbitrary(names: readonly string[]): fc.Arbitrary<Record<string, string> | null> {
  const known = names.map((name) =>
    fc.option(
      queryValue(name).map((v) => [name, v] as const),
      { nil: undefined },
    ),
  );
  const extra = fc.array(
    fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), hostileString), hostileString),
    { maxLength: 3 },
  );
  return fc.tuple(fc.tuple(...known), extra).map(([k, e]) => {
    const entries = [...k.filter((x): x is readonly [string, string] => x !== undefined), ...e];
    return entries.length > 0 ? ownRecord(entries) : null;
  });
}

function bodyArbitrary(fields: readonly string[], hasBody: boolean): fc.Arbitrary<string | null> {
  const value = fc.oneof(hostileString, wrongJson);
  const object = fc
    .tuple(
      fc.tuple(
        ...fields.map((f) =>
          fc.option(
            value.map((v) => [f, v] as const),
            { nil: undefined },
          ),
        ),
      ),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), hostileString), value), {
        maxLength: 2,
      }),
    )
    .map(([known, extra]) => {
      const parts = [...known.filter((x) => x !== undefined), ...extra].map(
        ([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`,
      );
      return `{${parts.join(',')}}`;
    });
  return fc.oneof(
    { weight: hasBody ? 6 : 1, arbitrary: object },
    { weight: 1, arbitrary: wrongJson.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: hostileString },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        deepJson(64),
        deepJson(5_000),
        '{"content":"' + 'x'.repeat(9_000) + '"}',
        '{"a":1,"a":2}',
        '{"title":"x"}\u0000',
        '\ufeff{"title":"bom"}',
      ),
    },
    { weight: hasBody ? 1 : 4, arbitrary: fc.constant(null) },
  );
}

function headerArbitrary(): fc.Arbitrary<Record<string, string>> {
  return fc
    .record(
      {
        'Content-Type': fc.oneof(
          fc.constantFrom(
            'application/json',
            'application/json; charset=utf-8',
            'text/plain',
            'multipart/form-data',
          ),
          hostileString,
        ),
        Accept: fc.constantFrom(
          'text/event-stream',
          'application/json',
          '*/*',
          '',
          'text/event-stream, */*;q=0',
        ),
        'Idempotency-Key': fc.oneof(fc.uuid(), hostileString),
        Origin: fc.oneof(
          fc.constantFrom('https://chat.example.test', 'null', 'https://evil.example'),
          hostileString,
        ),
        'X-Forwarded-For': fc.oneof(fc.ipV4(), hostileString),
      },
      { requiredKeys: [] },
    )
    .chain((known) =>
      fc
        .array(
          fc.tuple(
            fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.constantFrom('x-log', 'x-sql')),
            fc.constantFrom(...SPLITTING, ...INJECTION_PAYLOADS),
          ),
          {
            maxLength: 3,
          },
        )
        .map((extra) => ownRecord([...Object.entries(known), ...extra])),
    );
}

/** What no response may hold: stack frames, SQL errors, source paths, connection strings. */
const LEAKS =
  /\n\s+at \S+ \(|\bat (async )?\S+ \(\S+:\d+:\d+\)|node_modules|\.ts:\d+:\d+|SQLSTATE|syntax error at or near|violates .* constraint|postgres(ql)?:\/\/|-----BEGIN|ECONNREFUSED/i;

function check(response: RawResponse, input: RawRequest): void {
  const where = `${input.method} ${input.path} → ${response.status} ${response.text.slice(0, 300)}`;
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  expect(response.status, where).toBeLessThan(500);
  expect(({} as Record<string, unknown>).polluted, 'prototype polluted').toBeUndefined();
  // Whatever came in, the answer is one the OpenAPI document declares, headers and body.
  expect(conformanceProblems({ method: input.method, resource: input.resource, ...response }), where).toEqual(
    [],
  );
  if (response.status < 400) return;
  expect(response.headers['content-type'], where).toBe('application/problem+json');
  for (const [name, value] of Object.entries(API_HEADERS))
    expect(response.headers[name.toLowerCase()], `${name}: ${where}`).toBe(value);
  const problem = JSON.parse(response.text) as { status: number; type: string; requestId: string };
  expect(problem.status, where).toBe(response.status);
  expect(problem.type, where).toMatch(/^urn:parley:problem:[a-z-]+$/);
  expect(response.text, where).not.toMatch(LEAKS);
}

describe('hostile input over every route of the OpenAPI document', () => {
  it.each(routes.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s: no 5xx, no leak, problem+json with the security headers, every answer in the OpenAPI document',
    async (_name, route) => {
      const operation = operationOf(route);
      const pathNames = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const queryNames = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const fields = Object.keys(operation.requestBody?.content['application/json'].schema.properties ?? {});
      const params = fc
        .tuple(...pathNames.map((name) => pathValue(name).map((v) => [name, v] as const)))
        .map((entries) => ownRecord(entries));
      await fc.assert(
        fc.asyncProperty(
          params,
          queryArbitrary(queryNames),
          headerArbitrary(),
          bodyArbitrary(fields, Boolean(route.body)),
          authorization(route),
          async (pathParameters, query, headers, body, token) => {
            const input: RawRequest = {
              ...request(route.group, route.method, route.path, pathParameters, undefined, body),
              query,
              headers: ownRecord([
                ...Object.entries(headers),
                ...(token === undefined
                  ? []
                  : [['Authorization', token.startsWith('ey') ? `Bearer ${token}` : token] as const]),
              ]),
            };
            cases += 1;
            check(await invoke(input), input);
          },
        ),
        { numRuns: perRoute, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: false },
      );
    },
  );

  it('stores injection payloads and returns them verbatim, as data', async (context) => {
    // Its own conversation: the hostile DELETEs above may have removed the shared ones.
    const opened = await invoke(
      request('conversations', 'POST', '/api/conversations', {}, member.token, '{}'),
    );
    const conversationId = (JSON.parse(opened.text) as { id: string }).id;
    let stored = 0;
    let refused = 0;
    for (const payload of INJECTION_PAYLOADS) {
      // A title: trimmed, else kept as typed; one the schema refuses is a 400 naming the field.
      const title = `${payload} title`;
      const created = await invoke(
        request('conversations', 'POST', '/api/conversations', {}, member.token, JSON.stringify({ title })),
      );
      check(created, request('conversations', 'POST', '/api/conversations', {}, member.token, null));
      if (created.status === 400) {
        refused += 1;
        expect(JSON.parse(created.text)).toMatchObject({ errors: [{ path: 'body.title' }] });
      } else {
        expect(created.status, `${JSON.stringify(title)} → ${created.text}`).toBe(201);
        const id = (JSON.parse(created.text) as { id: string }).id;
        const read = await invoke(
          request('conversations', 'GET', '/api/conversations/{id}', { id }, member.token, null),
        );
        expect((JSON.parse(read.text) as { title: string }).title, JSON.stringify(title)).toBe(title.trim());
        stored += 1;
      }

      // A message: kept byte for byte.
      const content = `before ${payload} after`;
      const sent = await invoke(
        request(
          'chat',
          'POST',
          '/api/conversations/{id}/messages',
          { id: conversationId },
          member.token,
          JSON.stringify({ content }),
        ),
      );
      check(sent, request('chat', 'POST', '/api/conversations/{id}/messages', {}, member.token, null));
      if (sent.status === 400) {
        refused += 1;
        expect(JSON.parse(sent.text)).toMatchObject({ errors: [{ path: 'body.content' }] });
      } else {
        expect(sent.status, `${JSON.stringify(content)} → ${sent.text}`).toBe(201);
        const { userMessage } = JSON.parse(sent.text) as { userMessage: { id: string; content: string } };
        expect(userMessage.content, JSON.stringify(content)).toBe(content);
        const list = await invoke({
          ...request(
            'conversations',
            'GET',
            '/api/conversations/{id}/messages',
            { id: conversationId },
            member.token,
            null,
          ),
          query: { limit: '100' },
        });
        const items = (JSON.parse(list.text) as { items: { id: string; content: string }[] }).items;
        expect(items.find((m) => m.id === userMessage.id)?.content, JSON.stringify(content)).toBe(content);
        stored += 1;
      }
    }
    record(
      context,
      { name: 'payloads stored and read back verbatim', value: stored },
      { name: 'refused with 400 naming the field', value: refused },
    );
  });

  it(`ran at least ${TOTAL_CASES.toLocaleString('en')} cases over ${routes.length} routes`, (context) => {
    const summary = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    record(
      context,
      { name: 'cases', value: cases, target: `≥ ${TOTAL_CASES}` },
      { name: 'routes', value: routes.length },
      {
        name: '5xx',
        value: [...statuses].filter(([s]) => s >= 500).reduce((n, [, count]) => n + count, 0),
        target: '0',
      },
      { name: 'statuses', value: summary },
    );
    expect(cases).toBeGreaterThanOrEqual(TOTAL_CASES);
  });
});
