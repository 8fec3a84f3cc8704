import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';

import { ApiError, apiErrorMessage, createApiClient } from '@/lib/api-client';

/** What people read when a call fails, and the answers that are not the usual JSON. */
const client = (response: Response | Error, signal?: AbortSignal) => {
  const api = createApiClient({
    baseUrl: '/api/',
    origin: 'https://parley.example.com',
    fetch: vi.fn<typeof fetch>(async () => {
      if (response instanceof Error) throw response;
      return response;
    }),
    getAccessToken: async () => 'access-token',
  });
  return { api, signal };
};

describe('API client answers', () => {
  it('reads a 204 as no body, which a schema for nothing accepts', async () => {
    const { api } = client(new Response(null, { status: 204 }));
    await expect(
      api.request('/conversations/1', z.undefined(), { method: 'DELETE' }),
    ).resolves.toBeUndefined();
  });

  it('passes an aborted request on as the abort, not as a network error', async () => {
    const controller = new AbortController();
    controller.abort();
    const abort = new DOMException('The operation was aborted.', 'AbortError');
    const { api } = client(abort);
    await expect(api.request('/me', z.object({}), { signal: controller.signal })).rejects.toBe(abort);
  });

  it('turns an error answer without problem+json into an ApiError with the status text and request id', async () => {
    const { api } = client(
      new Response('<html>Bad gateway</html>', {
        status: 502,
        statusText: 'Bad Gateway',
        headers: { 'X-Request-Id': 'req-502' },
      }),
    );
    const error = await api.request('/me', z.object({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).problem).toEqual({
      type: 'about:blank',
      title: 'Bad Gateway',
      status: 502,
      requestId: 'req-502',
    });
    expect(apiErrorMessage(error)).toBe('Bad Gateway. (Reference: req-502)');
  });

  it('says "Request failed" when the answer has neither a problem nor a status text', async () => {
    const { api } = client(new Response('', { status: 500 }));
    const error = (await api.request('/me', z.object({})).catch((e: unknown) => e)) as ApiError;
    expect(error.problem.title).toBe('Request failed');
    expect(error.problem.requestId).toBeUndefined();
    expect(apiErrorMessage(error)).toBe('Request failed.');
  });
});

describe('apiErrorMessage', () => {
  const problem = (status: number, extra: Record<string, unknown> = {}) =>
    new ApiError({ type: 'urn:parley:problem:x', title: 'Title', status, ...extra });

  it('asks to sign in again after a 401', () => {
    expect(apiErrorMessage(problem(401, { detail: 'The access token was revoked; sign in again.' }))).toBe(
      'Your session has ended. Please sign in again.',
    );
  });

  it('says "try again shortly" for a 503 without Retry-After, and the seconds with it', () => {
    expect(apiErrorMessage(problem(503, { detail: 'The AI model is temporarily unavailable.' }))).toBe(
      'The AI model is temporarily unavailable. Try again shortly.',
    );
    expect(apiErrorMessage(new ApiError({ type: 'x', title: 'Too many requests', status: 429 }, 12))).toBe(
      'Too many requests. Try again in 12 seconds.',
    );
  });

  it('gives a long Retry-After in minutes or hours, rounded up', () => {
    const waiting = (seconds: number) =>
      apiErrorMessage(new ApiError({ type: 'x', title: 'Invitation not sent', status: 503 }, seconds));
    expect(waiting(1)).toBe('Invitation not sent. Try again in 1 second.');
    expect(waiting(119)).toBe('Invitation not sent. Try again in 119 seconds.');
    expect(waiting(120)).toBe('Invitation not sent. Try again in 2 minutes.');
    expect(waiting(300)).toBe('Invitation not sent. Try again in 5 minutes.');
    expect(waiting(3600)).toBe('Invitation not sent. Try again in 60 minutes.');
    expect(waiting(7199)).toBe('Invitation not sent. Try again in 120 minutes.');
    expect(waiting(7200)).toBe('Invitation not sent. Try again in 2 hours.');
    expect(waiting(86_400)).toBe('Invitation not sent. Try again in 24 hours.');
  });

  it('lists the field messages of a validation problem', () => {
    expect(
      apiErrorMessage(
        problem(400, {
          errors: [
            { path: 'body.title', message: 'must be at most 200 characters.' },
            { path: 'body.x', message: 'is not allowed.' },
          ],
        }),
      ),
    ).toBe('must be at most 200 characters. is not allowed.');
  });

  it('gives a general sentence for anything that is not an API error', () => {
    expect(apiErrorMessage(new TypeError('x is undefined'))).toBe('Something went wrong. Please try again.');
    expect(apiErrorMessage('boom')).toBe('Something went wrong. Please try again.');
  });
});
