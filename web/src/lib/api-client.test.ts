import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';

import { ApiError, apiErrorMessage, createApiClient } from '@/lib/api-client';

const ORIGIN = 'https://parley.example.com';
const itemSchema = z.object({ id: z.string() });

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

function clientAnswering(
  response: Response | Error,
  options: { token?: string; onUnauthorized?: () => void } = {},
) {
  const fetchFn = vi.fn<typeof fetch>(async () => {
    if (response instanceof Error) throw response;
    return response;
  });
  const client = createApiClient({
    baseUrl: '/api',
    origin: ORIGIN,
    fetch: fetchFn,
    getAccessToken: async () => ('token' in options ? options.token : 'access-token'),
    onUnauthorized: options.onUnauthorized,
  });
  return { client, fetchFn };
}

describe('createApiClient', () => {
  it('sends the access token as a bearer token to the API base', async () => {
    // Prepare
    const { client, fetchFn } = clientAnswering(json(200, { id: 'c1' }));

    // Act
    const result = await client.request('/conversations', itemSchema, {
      query: { limit: 20, cursor: undefined },
    });

    // Assess
    expect(result).toEqual({ id: 'c1' });
    const [url, init] = fetchFn.mock.calls[0] ?? [];
    expect(String(url)).toBe(`${ORIGIN}/api/conversations?limit=20`);
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer access-token');
  });

  it('sends a JSON body', async () => {
    const { client, fetchFn } = clientAnswering(json(201, { id: 'c1' }));

    await client.request('/conversations', itemSchema, { method: 'POST', body: { title: 'Hi' } });

    const init = fetchFn.mock.calls[0]?.[1];
    expect(init?.method).toBe('POST');
    expect(init?.body).toBe('{"title":"Hi"}');
    expect(new Headers(init?.headers).get('Content-Type')).toBe('application/json');
  });

  it('sends extra headers, which cannot replace the token or Accept', async () => {
    const { client, fetchFn } = clientAnswering(json(200, { id: 'c1' }));

    await client.request('/conversations', itemSchema, {
      headers: { 'Idempotency-Key': 'k-1', Authorization: 'Bearer forged', Accept: 'text/html' },
    });

    const headers = new Headers(fetchFn.mock.calls[0]?.[1]?.headers);
    expect(headers.get('Idempotency-Key')).toBe('k-1');
    expect(headers.get('Authorization')).toBe('Bearer access-token');
    expect(headers.get('Accept')).toBe('application/json, application/problem+json');
  });

  it('turns a problem+json answer into an ApiError carrying the problem', async () => {
    const problem = {
      type: 'https://parley.example.com/problems/validation',
      title: 'Bad Request',
      status: 400,
      detail: 'The request is invalid',
      requestId: 'req-1',
      errors: [{ path: 'title', message: 'Title is too long' }],
    };
    const { client } = clientAnswering(json(400, problem, { 'Content-Type': 'application/problem+json' }));

    const error = await client.request('/conversations', itemSchema).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).problem).toEqual(problem);
    expect(apiErrorMessage(error)).toBe('Title is too long');
  });

  it('reads Retry-After on 429', async () => {
    const { client } = clientAnswering(
      json(
        429,
        { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Slow down.' },
        { 'Retry-After': '7' },
      ),
    );

    const error = await client.request('/me', itemSchema).catch((e: unknown) => e);

    expect((error as ApiError).retryAfter).toBe(7);
    expect(apiErrorMessage(error)).toBe('Slow down. Try again in 7 seconds.');
  });

  it('calls onUnauthorized when the API answers 401', async () => {
    const onUnauthorized = vi.fn();
    const { client } = clientAnswering(
      json(401, { type: 'about:blank', title: 'Unauthorized', status: 401 }),
      {
        onUnauthorized,
      },
    );

    await expect(client.request('/me', itemSchema)).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it('does not call the API without a token', async () => {
    const { client, fetchFn } = clientAnswering(json(200, { id: 'c1' }), { token: undefined });

    await expect(client.request('/me', itemSchema)).rejects.toMatchObject({ status: 401 });
    expect(fetchFn).not.toHaveBeenCalled();
  });

  it('reports a token that could not be refreshed as a network failure, not as a session that ended', async () => {
    const fetchFn = vi.fn<typeof fetch>();
    const client = createApiClient({
      baseUrl: '/api',
      origin: ORIGIN,
      fetch: fetchFn,
      getAccessToken: () =>
        Promise.reject(Object.assign(new Error('Network error'), { name: 'NetworkError' })),
    });

    await expect(client.request('/me', itemSchema)).rejects.toMatchObject({ status: 0 });
    expect(fetchFn).not.toHaveBeenCalled();
  });

  it('reports a network failure as status 0', async () => {
    const { client } = clientAnswering(new TypeError('Failed to fetch'));

    await expect(client.request('/me', itemSchema)).rejects.toMatchObject({
      status: 0,
      message: expect.stringMatching(/could not be reached/),
    });
  });

  it('refuses an answer that does not match the contract', async () => {
    const { client } = clientAnswering(json(200, { nope: true }));

    await expect(client.request('/me', itemSchema)).rejects.toMatchObject({
      problem: { title: 'Unexpected response' },
    });
  });

  it('keeps the request id of a server error for support', async () => {
    const { client } = clientAnswering(
      json(500, { type: 'about:blank', title: 'Internal Server Error', status: 500, requestId: 'abc-123' }),
    );

    const error = await client.request('/me', itemSchema).catch((e: unknown) => e);

    expect(apiErrorMessage(error)).toBe('Internal Server Error. (Reference: abc-123)');
  });

  it('hands back the unread response of fetch, with the Accept asked for', async () => {
    const { client, fetchFn } = clientAnswering(
      new Response('event: done\ndata: {}\n\n', { headers: { 'Content-Type': 'text/event-stream' } }),
    );

    const response = await client.fetch('/conversations/c1/messages', {
      method: 'POST',
      body: { content: 'Hi' },
      accept: 'text/event-stream',
    });

    expect(await response.text()).toBe('event: done\ndata: {}\n\n');
    const init = fetchFn.mock.calls[0]?.[1];
    expect(new Headers(init?.headers).get('Accept')).toBe('text/event-stream');
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer access-token');
  });

  it('throws an ApiError from fetch when the answer is an error', async () => {
    const { client } = clientAnswering(
      json(503, { type: 'about:blank', title: 'Model unavailable', status: 503 }, { 'Retry-After': '30' }),
    );

    await expect(client.fetch('/conversations/c1/messages')).rejects.toMatchObject({
      status: 503,
      retryAfter: 30,
    });
  });
});
