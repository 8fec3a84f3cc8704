import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '#test/support/lambda-context';

import { routeById } from '#api/index';
import { API_HEADERS, responseHeaders } from './headers';
import type { ApiEvent, ApiResult } from './types';

const WEB_ORIGIN = 'https://chat.example.com';
const context = lambdaContext({ awsRequestId: 'aws-1' });

function event(headers: Record<string, string> = {}, requestId: string | null = 'req-42'): ApiEvent {
  return {
    headers,
    parley: requestId ? { requestId, route: routeById('me.get') } : undefined,
  } as unknown as ApiEvent;
}

/** A handler behind the header middleware; `fail` makes it throw and a stand-in error handler answer. */
function handlerWith(
  options: { fail?: boolean; cacheControl?: string; headers?: Record<string, string> } = {},
) {
  return middy<ApiEvent, ApiResult, Error, Context>()
    .use(responseHeaders({ webOrigin: WEB_ORIGIN, cacheControl: options.cacheControl ?? 'no-store' }))
    .use({
      onError: (request) => {
        request.response = {
          statusCode: 500,
          headers: { 'Content-Type': 'application/problem+json' },
          body: '{}',
        };
      },
    })
    .handler(async () => {
      if (options.fail) throw new Error('boom');
      return {
        statusCode: 200,
        headers: { 'Content-Type': 'application/json', ...options.headers },
        body: '{}',
      };
    });
}

describe('responseHeaders', () => {
  it('adds the design security headers, Cache-Control, Vary and X-Request-Id to a success', async () => {
    // Act
    const response = await handlerWith()(event(), context);

    // Assess
    expect(response.headers).toMatchObject({
      ...API_HEADERS,
      'Cache-Control': 'no-store',
      'X-Request-Id': 'req-42',
      Vary: 'Origin',
      'Content-Type': 'application/json',
      'Cross-Origin-Resource-Policy': 'same-site',
      'X-Frame-Options': 'DENY',
    });
  });

  it('sends exactly the API set: none of the headers that only govern a document or a legacy plug-in', async () => {
    const success = await handlerWith()(event(), context);
    const failure = await handlerWith({ fail: true })(event(), context);

    for (const response of [success, failure]) {
      expect(Object.keys(response.headers ?? {}).sort()).toEqual(
        [...Object.keys(API_HEADERS), 'Cache-Control', 'Content-Type', 'Vary', 'X-Request-Id'].sort(),
      );
      for (const documentOnly of [
        'Permissions-Policy',
        'Cross-Origin-Opener-Policy',
        'Cross-Origin-Embedder-Policy',
        'Origin-Agent-Cluster',
        'X-DNS-Prefetch-Control',
        'X-Permitted-Cross-Domain-Policies',
        'X-Download-Options',
      ])
        expect(response.headers).not.toHaveProperty(documentOnly);
    }
  });

  it('drops Server and X-Powered-By, which name the software behind the API', async () => {
    const response = await handlerWith({ headers: { Server: 'node', 'X-Powered-By': 'parley' } })(
      event(),
      context,
    );

    expect(response.headers).not.toHaveProperty('Server');
    expect(response.headers).not.toHaveProperty('X-Powered-By');
    expect(response.headers?.['X-Frame-Options']).toBe('DENY');
  });

  it('adds the same headers to an error response', async () => {
    const response = await handlerWith({ fail: true, cacheControl: 'no-cache' })(event(), context);

    expect(response.statusCode).toBe(500);
    expect(response.headers).toMatchObject({
      ...API_HEADERS,
      'Cache-Control': 'no-cache',
      'X-Request-Id': 'req-42',
      'Content-Type': 'application/problem+json',
    });
  });

  it('keeps the design values over what the handler set', async () => {
    const response = await handlerWith({
      headers: { 'Cache-Control': 'public, max-age=600', 'Referrer-Policy': 'unsafe-url' },
    })(event(), context);

    expect(response.headers?.['Content-Security-Policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(response.headers?.['Strict-Transport-Security']).toBe(
      'max-age=63072000; includeSubDomains; preload',
    );
    expect(response.headers?.['Referrer-Policy']).toBe('no-referrer');
    expect(response.headers?.['Cache-Control']).toBe('no-store');
  });

  it('allows the web origin by CORS, whatever the case of the Origin header name', async () => {
    const response = await handlerWith()(event({ ORIGIN: WEB_ORIGIN }), context);

    expect(response.headers).toMatchObject({
      'Access-Control-Allow-Origin': WEB_ORIGIN,
      'Access-Control-Expose-Headers': 'X-Request-Id, Retry-After',
    });
  });

  it.each([
    ['another origin', 'https://evil.example.com'],
    ['a look-alike origin', `${WEB_ORIGIN}.evil.example.com`],
    ['the web origin over plain HTTP', 'http://chat.example.com'],
  ])('sends no CORS headers to %s', async (_case, origin) => {
    const response = await handlerWith()(event({ Origin: origin }), context);

    expect(response.headers).not.toHaveProperty('Access-Control-Allow-Origin');
    expect(response.headers).not.toHaveProperty('Access-Control-Expose-Headers');
    expect(response.headers?.Vary).toBe('Origin');
  });

  it('sends no CORS headers when the request has no Origin', async () => {
    const response = await handlerWith()(event({}), context);

    expect(response.headers).not.toHaveProperty('Access-Control-Allow-Origin');
  });

  it('omits X-Request-Id when no request state was started', async () => {
    const response = await handlerWith()(event({}, null), context);

    expect(response.headers).not.toHaveProperty('X-Request-Id');
  });

  it('adds every header to a response the handler gave none', async () => {
    const bare = middy<ApiEvent, ApiResult, Error, Context>()
      .use(responseHeaders({ webOrigin: WEB_ORIGIN, cacheControl: 'no-store' }))
      .handler(async () => ({ statusCode: 204, body: '' }));

    const response = await bare(event({ Origin: WEB_ORIGIN }), context);

    expect(response.statusCode).toBe(204);
    expect(response.headers).toMatchObject({
      ...API_HEADERS,
      'Cache-Control': 'no-store',
      'X-Request-Id': 'req-42',
      'Access-Control-Allow-Origin': WEB_ORIGIN,
      Vary: 'Origin',
    });
  });

  it.each([
    ['Accept-Encoding', 'Accept-Encoding, Origin'],
    ['Accept-Encoding, origin', 'Accept-Encoding, origin'],
    [' , Accept ,', 'Accept, Origin'],
  ])("keeps the route's own Vary %j, with Origin added once", async (own, expected) => {
    const varying = middy<ApiEvent, ApiResult, Error, Context>()
      .use(responseHeaders({ webOrigin: WEB_ORIGIN, cacheControl: 'no-store' }))
      .handler(async () => ({ statusCode: 200, headers: { Vary: own }, body: '' }));

    const response = await varying(event(), context);

    expect(response.headers?.Vary).toBe(expected);
  });

  it('makes up no response when nothing answered the error: it goes on to Lambda as it was', async () => {
    const failure = new Error('no error handler in this chain');
    const unhandled = middy<ApiEvent, ApiResult, Error, Context>()
      .use(responseHeaders({ webOrigin: WEB_ORIGIN, cacheControl: 'no-store' }))
      .handler(async () => {
        throw failure;
      });

    await expect(unhandled(event(), context)).rejects.toBe(failure);
  });
});
