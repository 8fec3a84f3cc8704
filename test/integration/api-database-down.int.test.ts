import { describe, expect, it } from 'vitest';
import { API_HEADERS } from '#shared/http/headers';
import { call, setUpApiEnvironment } from '../support/api';

// The handlers' database is a server that is not there (a closed port), with a password in its URL.
const issuer = setUpApiEnvironment({
  DATABASE_URL: ['postgres://parley', 'hunter2-secret@127.0.0.1:1/parley'].join(':'),
});
const users = (await import('#users/lambda')).handler;
const conversations = (await import('#conversations/lambda')).handler;
const token = issuer.accessToken({
  sub: '00000000-0000-4000-8000-00000000d0d0',
  username: 'down@example.test',
  'cognito:groups': ['members'],
});

describe('the API with its database down', () => {
  it.each([
    ['GET /api/me', users, { method: 'GET', path: '/api/me' }],
    ['GET /api/conversations', conversations, { method: 'GET', path: '/api/conversations' }],
    ['POST /api/conversations', conversations, { method: 'POST', path: '/api/conversations', body: {} }],
  ] as const)('%s answers 503 problem+json with Retry-After, leaking nothing', async (_, handler, input) => {
    const response = await call(handler, { ...input, token });

    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(API_HEADERS))
      expect(response.headers[name.toLowerCase()], name).toBe(value);
    expect(response.body).toMatchObject({ type: 'urn:parley:problem:service-unavailable', status: 503 });
    expect(response.raw.body).not.toMatch(/hunter2|127\.0\.0\.1|ECONNREFUSED|postgres:|\bat \//);
  });
});
