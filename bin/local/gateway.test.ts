import type { APIGatewayProxyResult } from 'aws-lambda';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { routes } from '#api/index';
import {
  LAMBDA_BUFFERED_RESPONSE_MAX,
  lambdaContext,
  matchRoute,
  overLambdaResponseLimit,
  readBody,
  toProxyEvent,
  writeResult,
  type MatchedRoute,
} from './gateway';

/** An IncomingMessage as far as the gateway reads one: headers, version, socket and a body stream. */
function fakeRequest(
  headers: IncomingMessage['headers'] = {},
  chunks: Buffer[] = [],
  remoteAddress: string | null = '10.0.0.7',
): IncomingMessage {
  return Object.assign(Readable.from(chunks), {
    headers,
    httpVersion: '1.1',
    socket: { remoteAddress: remoteAddress ?? undefined },
  }) as unknown as IncomingMessage;
}

function matched(method: string, path: string): MatchedRoute {
  const result = matchRoute(method, path);
  if (!result || result === 'methodNotAllowed') throw new Error(`No route for ${method} ${path}`);
  return result;
}

describe('matchRoute', () => {
  it('matches every route of the table by its own method and path', () => {
    for (const route of routes) {
      const path = route.path.replace('{id}', '3f0c1a52-8f7e-4c1b-9a43-3d2b9d6f1e20');

      expect(matched(route.method, path).route.id).toBe(route.id);
    }
  });

  it('fills the template parameters of a path', () => {
    // Act
    const result = matched('GET', '/api/conversations/abc-123');

    // Assess
    expect(result.route.id).toBe('conversations.get');
    expect(result.pathParameters).toEqual({ id: 'abc-123' });
  });

  it('gives a template without parameters null pathParameters, as API Gateway does', () => {
    expect(matched('GET', '/api/conversations').pathParameters).toBeNull();
  });

  it('tells routes on one template apart by method', () => {
    expect(matched('PATCH', '/api/conversations/x').route.id).toBe('conversations.rename');
    expect(matched('DELETE', '/api/conversations/x').route.id).toBe('conversations.delete');
  });

  it.each([
    ['/api/health/', 'health.live'],
    ['/api/conversations/', 'conversations.list'],
    ['/api/conversations/abc/', 'conversations.get'],
  ])('accepts a trailing slash on %s', (path, id) => {
    expect(matched('GET', path).route.id).toBe(id);
  });

  it('decodes URL-encoded parameters', () => {
    expect(matched('GET', '/api/conversations/a%20b%2Fc%C3%A9').pathParameters).toEqual({ id: 'a b/cé' });
  });

  it.each([
    ['POST', '/api/health'],
    ['PUT', '/api/conversations'],
    ['POST', '/api/conversations/abc'],
    ['get', '/api/me'],
  ])('answers methodNotAllowed for %s %s (the path exists with other methods)', (method, path) => {
    expect(matchRoute(method, path)).toBe('methodNotAllowed');
  });

  it.each([
    '/api/nothing',
    '/api',
    '/api/conversations/abc/attachments',
    '/api/conversations//',
    '/API/health',
    '/api/openapiXjson',
    '/prefix/api/health',
    '/api/health?x=1',
  ])('finds no route for %s', (path) => {
    expect(matchRoute('GET', path)).toBeUndefined();
  });

  // API Gateway answers a 4xx here, never a 500: the raw value goes on to validation.
  it('does not throw on a malformed percent-encoding in a parameter', () => {
    expect(() => matchRoute('GET', '/api/conversations/%E0%A4%A')).not.toThrow();
  });
});

describe('toProxyEvent', () => {
  const url = (path: string) => new URL(path, 'http://localhost:3000');

  it('builds the REST proxy event of a JSON request', () => {
    // Prepare
    const body = Buffer.from('{"title":"Trip"}');
    const req = fakeRequest({
      'content-type': 'application/json',
      'user-agent': 'vitest',
      host: 'localhost:3000',
    });

    // Act
    const event = toProxyEvent({
      req,
      url: url('/api/conversations/abc'),
      body,
      matched: matched('PATCH', '/api/conversations/abc'),
      stage: 'local',
    });

    // Assess
    expect(event).toMatchObject({
      resource: '/api/conversations/{id}',
      path: '/api/conversations/abc',
      httpMethod: 'PATCH',
      pathParameters: { id: 'abc' },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      body: '{"title":"Trip"}',
      isBase64Encoded: false,
    });
    expect(event.requestContext).toMatchObject({
      stage: 'local',
      path: '/local/api/conversations/abc',
      resourcePath: '/api/conversations/{id}',
      httpMethod: 'PATCH',
      protocol: 'HTTP/1.1',
      authorizer: null,
    });
    expect(event.requestContext.identity).toMatchObject({ sourceIp: '10.0.0.7', userAgent: 'vitest' });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('copies headers, joining repeated values and keeping them apart in multiValueHeaders', () => {
    const req = fakeRequest({ 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'], accept: 'application/json' });

    const event = toProxyEvent({
      req,
      url: url('/api/me'),
      body: Buffer.alloc(0),
      matched: matched('GET', '/api/me'),
      stage: 'local',
    });

    expect(event.headers).toEqual({ 'x-forwarded-for': '1.1.1.1,2.2.2.2', accept: 'application/json' });
    expect(event.multiValueHeaders).toEqual({
      'x-forwarded-for': ['1.1.1.1', '2.2.2.2'],
      accept: ['application/json'],
    });
  });

  it('keeps the last value of a repeated query parameter and all of them in the multi-value map', () => {
    const event = toProxyEvent({
      req: fakeRequest(),
      url: url('/api/conversations?q=trip&tag=a&tag=b&cursor=x%2By'),
      body: Buffer.alloc(0),
      matched: matched('GET', '/api/conversations'),
      stage: 'local',
    });

    expect(event.queryStringParameters).toEqual({ q: 'trip', tag: 'b', cursor: 'x+y' });
    expect(event.multiValueQueryStringParameters).toEqual({ q: ['trip'], tag: ['a', 'b'], cursor: ['x+y'] });
  });

  it('passes prototype keys in the query and headers as plain data, as API Gateway does', () => {
    const event = toProxyEvent({
      req: fakeRequest(JSON.parse('{"__proto__":"x","constructor":"y"}') as Record<string, string>),
      url: url('/api/search?q=a&__proto__=1&__proto__=2&constructor=c'),
      body: Buffer.alloc(0),
      matched: matched('GET', '/api/search'),
      stage: 'local',
    });

    expect(Object.keys(event.queryStringParameters ?? {})).toEqual(['q', '__proto__', 'constructor']);
    expect(
      Object.getOwnPropertyDescriptor(event.multiValueQueryStringParameters, '__proto__')?.value,
    ).toEqual(['1', '2']);
    expect(Object.getPrototypeOf(event.multiValueQueryStringParameters)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(event.multiValueHeaders)).toBe(Object.prototype);
  });

  it('sends an empty body as null, not base64', () => {
    const event = toProxyEvent({
      req: fakeRequest({ 'content-type': 'application/octet-stream' }),
      url: url('/api/conversations'),
      body: Buffer.alloc(0),
      matched: matched('POST', '/api/conversations'),
      stage: 'local',
    });

    expect(event.body).toBeNull();
    expect(event.isBase64Encoded).toBe(false);
  });

  it.each(['application/octet-stream', 'image/png', undefined])(
    'base64-encodes a binary body (%s)',
    (type) => {
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);

      const event = toProxyEvent({
        req: fakeRequest(type ? { 'content-type': type } : {}),
        url: url('/api/conversations'),
        body: bytes,
        matched: matched('POST', '/api/conversations'),
        stage: 'local',
      });

      expect(event.isBase64Encoded).toBe(true);
      expect(Buffer.from(event.body ?? '', 'base64')).toEqual(bytes);
    },
  );

  it.each([
    'text/plain; charset=utf-8',
    'application/xml',
    'application/x-www-form-urlencoded',
    'application/problem+json',
  ])('passes a textual body (%s) as UTF-8 text', (type) => {
    const event = toProxyEvent({
      req: fakeRequest({ 'content-type': type }),
      url: url('/api/conversations'),
      body: Buffer.from('héllo'),
      matched: matched('POST', '/api/conversations'),
      stage: 'local',
    });

    expect(event).toMatchObject({ body: 'héllo', isBase64Encoded: false });
  });

  it('puts verified claims where the Cognito authorizer would', () => {
    const claims = { sub: 'sub-1', 'cognito:groups': ['members'] };

    const event = toProxyEvent({
      req: fakeRequest(),
      url: url('/api/me'),
      body: Buffer.alloc(0),
      matched: matched('GET', '/api/me'),
      claims,
      stage: 'local',
    });

    expect(event.requestContext.authorizer).toEqual({ claims });
  });

  it('falls back to the loopback address when the socket has none', () => {
    const event = toProxyEvent({
      req: fakeRequest({}, [], null),
      url: url('/api/health'),
      body: Buffer.alloc(0),
      matched: matched('GET', '/api/health'),
      stage: 'local',
    });

    expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1');
    expect(event.requestContext.identity.userAgent).toBeNull();
  });

  it('gives every event its own request id', () => {
    const input = {
      req: fakeRequest(),
      url: url('/api/health'),
      body: Buffer.alloc(0),
      matched: matched('GET', '/api/health'),
      stage: 'local',
    };

    expect(toProxyEvent(input).requestContext.requestId).not.toBe(
      toProxyEvent(input).requestContext.requestId,
    );
  });
});

describe('readBody', () => {
  it('returns the whole body of several chunks', async () => {
    const req = fakeRequest({ 'transfer-encoding': 'chunked' }, [
      Buffer.from('hello '),
      Buffer.from('world'),
    ]);

    const body = await readBody(req, 100);

    expect(body?.toString()).toBe('hello world');
  });

  it('returns an empty buffer for a request without a body', async () => {
    const body = await readBody(fakeRequest({ 'content-length': '0' }), 100);

    expect(body).toEqual(Buffer.alloc(0));
  });

  it('reads a body announced by its Content-Length', async () => {
    const body = await readBody(fakeRequest({ 'content-length': '5' }, [Buffer.from('hello')]), 100);

    expect(body?.toString()).toBe('hello');
  });

  it('takes no body from a request that announces none, without reading its stream (RFC 9112 §6.3)', async () => {
    const req = fakeRequest({}, [Buffer.from('smuggled')]);

    const body = await readBody(req, 100);

    expect(body).toEqual(Buffer.alloc(0));
    expect(req.readableFlowing).toBeNull();
  });

  it('accepts a body of exactly the limit', async () => {
    const body = await readBody(
      fakeRequest({ 'content-length': '10' }, [Buffer.alloc(6), Buffer.alloc(4)]),
      10,
    );

    expect(body?.length).toBe(10);
  });

  it('returns undefined as soon as the body goes over the limit', async () => {
    const body = await readBody(
      fakeRequest({ 'transfer-encoding': 'chunked' }, [Buffer.alloc(6), Buffer.alloc(5), Buffer.alloc(1000)]),
      10,
    );

    expect(body).toBeUndefined();
  });
});

describe('writeResult', () => {
  /** A ServerResponse as far as writeResult uses one: the head and the body it gets. */
  function recordingResponse() {
    const sent: { status?: number; headers?: Record<string, string | string[]>; body?: Buffer } = {};
    const res = {
      writeHead: (status: number, headers: Record<string, string | string[]>) => {
        Object.assign(sent, { status, headers });
      },
      // What goes on the wire: a string is sent UTF-8 encoded (ServerResponse's default).
      end: (body: Buffer | string) => {
        sent.body = Buffer.from(body);
      },
    } as unknown as ServerResponse;
    return { res, sent };
  }

  it('writes the status, headers as strings and a text body', () => {
    const { res, sent } = recordingResponse();
    writeResult(res, {
      statusCode: 201,
      headers: { 'Content-Type': 'application/json', 'X-Count': 3 },
      body: '{"id":1}',
    });
    expect(sent).toEqual({
      status: 201,
      headers: { 'Content-Type': 'application/json', 'X-Count': '3', 'Content-Length': '8' },
      body: Buffer.from('{"id":1}'),
    });
  });

  it('gives the length of the body in bytes, not characters', () => {
    const { res, sent } = recordingResponse();
    writeResult(res, { statusCode: 200, body: '"héllo"' });
    expect(sent.headers?.['Content-Length']).toBe('8');
  });

  it('keeps a Content-Length the function set, whatever its case, and adds none', () => {
    const { res, sent } = recordingResponse();
    writeResult(res, { statusCode: 200, headers: { 'content-length': '2' }, body: 'ok' });
    expect(sent.headers).toEqual({ 'content-length': '2' });
  });

  it('passes a header named __proto__ as data, never as the prototype', () => {
    const { res, sent } = recordingResponse();
    writeResult(res, {
      statusCode: 200,
      headers: JSON.parse('{"__proto__":"x"}') as Record<string, string>,
      body: '',
    });
    expect(Object.getOwnPropertyDescriptor(sent.headers, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(sent.headers)).toBe(Object.prototype);
  });

  it('sends every value of a multi-value header, such as several cookies', () => {
    const { res, sent } = recordingResponse();
    writeResult(res, {
      statusCode: 200,
      body: '',
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], 'X-N': [1] },
    });
    expect(sent.headers).toEqual({ 'Set-Cookie': ['a=1', 'b=2'], 'X-N': ['1'], 'Content-Length': '0' });
  });

  it('decodes a base64 body into its bytes, as API Gateway does for binary answers', () => {
    const { res, sent } = recordingResponse();
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    writeResult(res, { statusCode: 200, body: bytes.toString('base64'), isBase64Encoded: true });
    expect(sent.body).toEqual(bytes);
  });

  it('sends an empty body for a result without one (Lambda allows it)', () => {
    const { res, sent } = recordingResponse();
    writeResult(res, { statusCode: 204 } as APIGatewayProxyResult);
    expect(sent).toEqual({ status: 204, headers: {}, body: Buffer.alloc(0) });
  });
});

describe('lambdaContext', () => {
  it('names the request and counts down the remaining time from the timeout', () => {
    const context = lambdaContext('parley-local-health', 'req-1', 5_000);

    expect(context).toMatchObject({ functionName: 'parley-local-health', awsRequestId: 'req-1' });
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(4_900);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(5_000);
  });

  it('keeps its methods through a spread, as Middy and Powertools copy it', () => {
    const context = { ...lambdaContext('parley-local-health', 'req-1', 5_000) };

    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(4_900);
    expect(() => context.done()).not.toThrow();
  });

  it('counts down each context from its own start', () => {
    const short = lambdaContext('a', 'req-1', 1_000);
    const long = lambdaContext('b', 'req-2', 60_000);

    expect(short.getRemainingTimeInMillis()).toBeLessThanOrEqual(1_000);
    expect(long.getRemainingTimeInMillis()).toBeGreaterThan(59_000);
  });
});

describe('overLambdaResponseLimit', () => {
  const result = (body: string) => ({ statusCode: 200, headers: { 'Content-Type': 'text/plain' }, body });

  it('passes ordinary answers and refuses those Lambda would (6 MB, as JSON)', () => {
    expect(overLambdaResponseLimit(result('{"items":[]}'))).toBe(false);
    expect(overLambdaResponseLimit(result('x'.repeat(LAMBDA_BUFFERED_RESPONSE_MAX - 1024)))).toBe(false);
    expect(overLambdaResponseLimit(result('x'.repeat(LAMBDA_BUFFERED_RESPONSE_MAX)))).toBe(true);
    // 3 bytes of UTF-8 a character: 2.2 million characters are 6.6 MB.
    expect(overLambdaResponseLimit(result('€'.repeat(2_200_000)))).toBe(true);
  });

  it('counts the escapes JSON adds: a million control characters are 6 MB as JSON', () => {
    expect(overLambdaResponseLimit(result('\u0001'.repeat(1_100_000)))).toBe(true);
  });
});
