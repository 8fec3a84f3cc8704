import type middy from '@middy/core';
import type { APIGatewayProxyEventPathParameters } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '#test/support/lambda-context';
import * as z from 'zod';

import { routeById } from '#api/index';
import { ValidationError } from '../errors';
import type { ApiEvent, ApiResult } from './types';
import { inputSchemas, validation, type InputSchemas } from './validation';

interface Parts {
  readonly headers?: Record<string, string>;
  readonly params?: APIGatewayProxyEventPathParameters | null;
  readonly query?: Record<string, string> | null;
  /** As API Gateway sends it: every value of each key (the query above holds the last). */
  readonly multiQuery?: Record<string, string[]> | null;
  readonly body?: unknown;
}

function requestWith(parts: Parts): middy.Request<ApiEvent, ApiResult> {
  const event = {
    headers: parts.headers ?? {},
    pathParameters: parts.params ?? null,
    queryStringParameters: parts.query ?? null,
    multiValueQueryStringParameters: parts.multiQuery ?? null,
    parley: { requestId: 'req-1', route: routeById('conversations.rename'), body: parts.body },
  } as unknown as ApiEvent;
  return { event, context: lambdaContext(), response: undefined, error: undefined, internal: {} };
}

async function validate(schemas: InputSchemas, parts: Parts) {
  const request = requestWith(parts);
  await validation(schemas).before?.(request);
  return request.event.parley;
}

async function problemsOf(schemas: InputSchemas, parts: Parts) {
  const error = await validate(schemas, parts).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).errors;
}

const params = z.strictObject({ id: z.uuid({ message: 'expected a UUID' }) });
const query = z.strictObject({ limit: z.coerce.number().int().min(1).max(10).default(5) });
const body = z.strictObject({ title: z.string().trim().min(1, 'must not be empty') });
const ID = '3f0c1a52-8f7e-4c1b-9a43-3d2b9d6f1e20';

describe('validation', () => {
  it('stores the parsed (transformed) params, query and body', async () => {
    // Act
    const state = await validate(
      { params, query, body },
      { params: { id: ID }, query: { limit: '7' }, body: { title: '  Trip  ' } },
    );

    // Assess
    expect(state.params).toEqual({ id: ID });
    expect(state.query).toEqual({ limit: 7 });
    expect(state.body).toEqual({ title: 'Trip' });
  });

  it('validates an absent query string as an empty object, so defaults apply', async () => {
    const state = await validate({ query }, { query: null });

    expect(state.query).toEqual({ limit: 5 });
  });

  it('reports every problem at once, each named by part and field', async () => {
    const problems = await problemsOf(
      { params, query, body },
      { params: { id: 'nope' }, query: { limit: '0' }, body: { title: '   ' } },
    );

    expect(problems.map((p) => p.path)).toEqual(['params.id', 'query.limit', 'body.title']);
    expect(problems[0]?.message).toBe('expected a UUID');
    expect(problems[2]?.message).toBe('must not be empty');
  });

  it('refuses unknown query keys and body fields (strict schemas), naming them', async () => {
    const problems = await problemsOf(
      { query, body },
      { query: { limti: '3' }, body: { title: 'x', extra: 1 } },
    );

    expect(problems.map((p) => p.path)).toEqual(['query', 'body']);
    expect(problems.map((p) => p.message).join(' ')).toMatch(/limti/);
    expect(problems.map((p) => p.message).join(' ')).toMatch(/extra/);
  });

  it('refuses a query key given more than once, naming it, rather than taking the last', async () => {
    const problems = await problemsOf(
      { query },
      { query: { limit: '6' }, multiQuery: { limit: ['5', '6'] } },
    );

    expect(problems).toEqual([{ path: 'query.limit', message: 'must be given once' }]);
  });

  it('takes a query key given once, as API Gateway lists it among every value', async () => {
    const state = await validate({ query }, { query: { limit: '6' }, multiQuery: { limit: ['6'] } });

    expect(state.query).toEqual({ limit: 6 });
  });

  it('refuses a missing body when the route requires one', async () => {
    const problems = await problemsOf({ body }, { body: undefined });

    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('body');
  });

  it('refuses a body on a route that takes none', async () => {
    const problems = await problemsOf({}, { body: { anything: true } });

    expect(problems).toEqual([{ path: 'body', message: 'this route takes no body' }]);
  });

  it('lets a bodiless request through a route that takes no body, ignoring params', async () => {
    const state = await validate({}, { params: { id: 'whatever' }, query: null });

    expect(state.body).toBeUndefined();
    expect(state.params).toBeUndefined();
    expect(state.query).toBeUndefined();
  });

  it('refuses a query string on a route that takes none, naming its keys, as a strict schema would', async () => {
    const problems = await problemsOf({}, { query: { limti: '3', __proto__x: '', constructor: 'y' } });

    expect(problems).toEqual([
      {
        path: 'query',
        message: 'this route takes no query string: Unrecognized keys: "limti", "__proto__x", "constructor"',
      },
    ]);
  });

  it('names at most five unknown keys, each cut to 40 characters, whatever a client sends', async () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${'k'.repeat(100)}${i}`, '1']));

    const [problem] = await problemsOf({}, { query: many });

    expect(problem?.path).toBe('query');
    expect(problem?.message).toMatch(/^this route takes no query string: Unrecognized keys: /);
    expect(problem?.message.match(/"k{40}…"/g)).toHaveLength(5);
    expect(problem?.message).toMatch(/ and 45 more$/);
  });

  it('names an unknown body field cut to 40 characters, as for the query, not echoed at length', async () => {
    // Prepare: a strict body with a 1,000-character field it does not know, and four more
    const key = `${'f'.repeat(999)}x`;
    const extra = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((k) => [k, 1]));

    // Act
    const [problem] = await problemsOf({ body }, { body: { title: 'x', [key]: 1, ...extra } });

    // Assess: the field is still named, by its first 40 characters, among the first five
    expect(problem?.path).toBe('body');
    expect(problem?.message.length).toBeLessThan(200);
    expect(problem?.message).toBe(`Unrecognized keys: "${'f'.repeat(40)}…", "a", "b", "c", "d" and 1 more`);
  });

  it('takes an empty query string on a route that takes none (API Gateway gives null or {})', async () => {
    for (const query of [null, {}]) expect((await validate({}, { query })).query).toBeUndefined();
  });

  it('stores a declared header, read whatever the case of its name, and leaves undeclared ones alone', async () => {
    const headers = { 'idempotency-key': z.string().check(z.maxLength(5, 'too long')) };

    const state = await validate({ headers }, { headers: { 'Idempotency-KEY': 'k-1', 'X-Other': 'y' } });
    const without = await validate({ headers }, { headers: {} });

    expect(state.headers).toEqual({ 'idempotency-key': 'k-1' });
    expect(without.headers).toEqual({});
  });

  it('refuses a declared header its schema refuses, or one with a NUL, naming headers.<name>', async () => {
    const headers = { 'idempotency-key': z.string().check(z.maxLength(5, 'too long')) };

    const long = await problemsOf({ headers }, { headers: { 'idempotency-key': 'k'.repeat(6) } });
    const nul = await problemsOf({ headers }, { headers: { 'Idempotency-Key': 'a\u0000b' } });

    expect(long).toEqual([{ path: 'headers.idempotency-key', message: 'too long' }]);
    expect(nul).toEqual([{ path: 'headers.idempotency-key', message: 'must not contain NUL characters' }]);
  });

  it('names the single problem in the error message', async () => {
    const error = await validate({ body }, { body: { title: '' } }).catch((e: unknown) => e);

    expect((error as Error).message).toBe('body.title: must not be empty');
  });

  it.each([
    ['a query parameter', { query: { q: 'a\u0000b' } }, 'query.q'],
    ['a path parameter', { params: { id: '\u0000' } }, 'params.id'],
    ['a nested body field', { body: { title: 'ok', tags: [{ name: 'x\u0000' }] } }, 'body.tags.0.name'],
  ])('refuses a NUL character in %s before any schema, naming the field', async (_case, parts, path) => {
    const problems = await problemsOf({ params, query, body }, parts as Parts);

    expect(problems).toEqual([{ path, message: 'must not contain NUL characters' }]);
  });

  it('refuses a NUL character in a body field name', async () => {
    const problems = await problemsOf({ body }, { body: JSON.parse('{"ti\\u0000tle":"x"}') });

    expect(problems).toEqual([{ path: 'body', message: 'must not contain NUL characters in a name' }]);
  });
});

describe('inputSchemas', () => {
  it("takes a route's declared parts, each header by its schema, and leaves out what it does not declare", () => {
    // Arrange
    const key = z.string().max(10);

    // Act
    const withHeaders = inputSchemas({
      params,
      body,
      headers: { 'idempotency-key': { schema: key, description: 'd' } },
    });
    const bare = inputSchemas({ query });

    // Assess
    expect(withHeaders).toEqual({ params, body, headers: { 'idempotency-key': key } });
    expect(Object.keys(bare)).toEqual(['query']);
  });
});
