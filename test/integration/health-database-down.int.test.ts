import { describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment } from '../support/api';

// The handlers' database is a server that is not there (a closed port), with a password in its URL.
setUpApiEnvironment({ DATABASE_URL: ['postgres://parley', 'hunter2-secret@127.0.0.1:1/parley'].join(':') });
const { handler } = await import('../../functions/health/lambda');

describe('GET /api/health/ready with the database down', () => {
  it('answers 503 "down", names the database, and leaks neither the URL nor the error', async () => {
    const response = await call(handler, { method: 'GET', path: '/api/health/ready' });

    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ status: 'down', checks: { database: { status: 'down' } } });
    expect(response.raw.body).not.toMatch(/hunter2|127\.0\.0\.1|ECONNREFUSED|parley:/);
  });

  it('tells a load balancer or a client when to ask again (Retry-After), with the security headers', async () => {
    const response = await call(handler, { method: 'GET', path: '/api/health/ready' });

    expect(response.status).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'strict-transport-security': expect.stringContaining('max-age='),
    });
  });

  it('keeps liveness ok: it does no I/O', async () => {
    const response = await call(handler, { method: 'GET', path: '/api/health' });
    expect(response.status).toBe(200);
  });
});
