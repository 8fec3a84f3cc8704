import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../functions/api/openapi';
import { setCache } from '../../functions/shared/cache/get-cache';
import { memoryCache } from '../../functions/shared/cache/memory-cache';
import { call, setUpApiEnvironment } from '../support/api';
import { createTestUser, testDatabase } from '../support/database';

const issuer = setUpApiEnvironment();
const users = (await import('../../functions/users/lambda')).handler;
const health = (await import('../../functions/health/lambda')).handler;
const db = testDatabase();
afterAll(() => db.destroy());

describe('GET /api/me', () => {
  it('returns the caller with role, MFA and this month’s usage', async () => {
    const user = await createTestUser(db, { role: 'members', monthly_token_quota: 5000, mfa_enabled: true });
    const thisMonth = new Date().toISOString().slice(0, 8) + '01';
    await db
      .insertInto('usage_daily')
      .values([
        {
          user_id: user.id,
          day: thisMonth,
          model: 'gpt-4o-mini',
          requests: 2,
          prompt_tokens: 100,
          completion_tokens: 50,
          cost_micros: 10,
        },
        {
          user_id: user.id,
          day: '2000-01-01',
          model: 'gpt-4o-mini',
          requests: 1,
          prompt_tokens: 999,
          completion_tokens: 1,
          cost_micros: 1,
        },
      ])
      .execute();
    const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });

    const response = await call(users, { method: 'GET', path: '/api/me', token });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: user.id,
      email: user.email,
      displayName: user.display_name,
      role: 'members',
      mfaEnabled: true,
      quota: { monthlyTokens: 5000, usedTokens: 150, isDefault: false },
      // No OpenAI key in this environment: the offline model answers, and /me says so.
      model: { provider: 'offline', models: ['offline'] },
    });
  });

  it('answers a signed-in user in no group (with role null), and provisions a missing row', async () => {
    const sub = randomUUID();
    const token = issuer.accessToken({
      sub,
      username: `New.Person-${sub}@Example.test`,
      'cognito:groups': [],
    });
    const response = await call(users, { method: 'GET', path: '/api/me', token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: sub, role: null, email: `new.person-${sub}@example.test` });
    const row = await db.selectFrom('users').selectAll().where('id', '=', sub).executeTakeFirst();
    expect(row?.display_name).toBe(`New.Person-${sub}`);
  });

  it('refuses a service account: /me names no machine scope (on AWS the authorizer refuses it)', async () => {
    // A client-credentials token has no user name, and its subject is its own client id.
    await createTestUser(db, {
      id: issuer.clientId,
      kind: 'service',
      role: 'members',
      email: 'machine@clients.test',
    });
    const token = issuer.accessToken({
      sub: issuer.clientId,
      username: undefined,
      scope: 'parley/chat.read',
    });
    const response = await call(users, { method: 'GET', path: '/api/me', token });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ detail: 'The token lacks a scope this route requires.' });
  });

  it('refuses a missing, forged or expired token with 401 problem+json and security headers', async () => {
    const expired = issuer.accessToken({ exp: Math.floor(Date.now() / 1000) - 1 });
    for (const token of [undefined, expired, `${issuer.accessToken()}x`]) {
      const response = await call(users, { method: 'GET', path: '/api/me', token });
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.headers['strict-transport-security']).toBeTruthy();
      expect(JSON.stringify(response.body)).not.toMatch(/stack|at .*\.ts/);
    }
  });
});

describe('GET /api/health and /api/health/ready', () => {
  it('answers liveness without a token', async () => {
    const response = await call(health, { method: 'GET', path: '/api/health' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('reports the database, cache and model, with the offline model labelled', async () => {
    setCache(memoryCache());
    const response = await call(health, { method: 'GET', path: '/api/health/ready' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      checks: {
        database: { status: 'ok' },
        cache: { status: 'ok', kind: 'in-process' },
        llm: { status: 'offline', provider: 'offline' },
      },
    });
  });

  it('is degraded, not down, when the cache is unreachable', async () => {
    const broken = {
      ...memoryCache(),
      kind: 'valkey' as const,
      ping: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.1')),
    };
    setCache(broken);
    const response = await call(health, { method: 'GET', path: '/api/health/ready' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'degraded', checks: { cache: { status: 'down' } } });
    expect(response.raw.body).not.toContain('ECONNREFUSED');
    setCache(memoryCache());
  });

  it('serves an OpenAPI 3.1 document listing every route', async () => {
    const response = await call(health, { method: 'GET', path: '/api/openapi.json' });
    expect(response.status).toBe(200);
    const document = response.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths['/api/conversations/{id}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'patch',
    ]);
    // The whole document the routes make, as JSON, with the JSON content type
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(document).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
  });
});

describe('/api/me/instructions', () => {
  const person = async (role: 'members' | 'admins' | 'auditors' = 'members') => {
    const user = await createTestUser(db, { role });
    return {
      user,
      token: issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': [role] }),
    };
  };
  const get = (token: string) => call(users, { method: 'GET', path: '/api/me/instructions', token });
  const put = (token: string, body: unknown) =>
    call(users, { method: 'PUT', path: '/api/me/instructions', token, body });
  const problemPaths = (body: unknown) =>
    ((body as { errors?: { path: string }[] }).errors ?? []).map((e) => e.path);

  it('has none at first, keeps what is set (trimmed, line breaks and markup as typed), and removes it with null', async () => {
    const { user, token } = await person('admins');
    expect((await get(token)).body).toEqual({ instructions: null });

    const text = '  Answer in French.\n<b>Short</b> answers; it\'s fine to say "I don\'t know".  ';
    const set = await put(token, { instructions: text });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ instructions: text.trim() });
    expect((await get(token)).body).toEqual({ instructions: text.trim() });
    const row = await db
      .selectFrom('users')
      .select('instructions')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.instructions).toBe(text.trim());

    expect((await put(token, { instructions: null })).body).toEqual({ instructions: null });
    expect((await get(token)).body).toEqual({ instructions: null });
  });

  it.each([
    [{}, 'body.instructions'],
    [{ instructions: '   ' }, 'body.instructions'],
    [{ instructions: 'x'.repeat(1501) }, 'body.instructions'],
    [{ instructions: 'a\u0000b' }, 'body.instructions'],
    [{ instructions: 42 }, 'body.instructions'],
    [{ instructions: 'ok', role: 'admins' }, 'body'],
    [JSON.parse('{"instructions":"ok","__proto__":{"polluted":true}}') as unknown, 'body'],
  ])('refuses %j with a 400 naming %s, keeping what was set', async (body, path) => {
    const { token } = await person();
    await put(token, { instructions: 'Keep me' });
    const response = await put(token, body);
    expect(response.status).toBe(400);
    expect(problemPaths(response.body)).toContain(path);
    expect((await get(token)).body).toEqual({ instructions: 'Keep me' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps SQL as text, and 1,500 characters exactly', async () => {
    const { token } = await person();
    const sql = "'); update users set role = 'admins'; --";
    expect((await put(token, { instructions: sql })).body).toEqual({ instructions: sql });
    const longest = 'é'.repeat(1500);
    expect((await put(token, { instructions: longest })).status).toBe(200);
  });

  it('refuses auditors (403), callers without a token (401), and answers 404 without a profile row', async () => {
    const auditor = await person('auditors');
    expect((await get(auditor.token)).status).toBe(403);
    expect((await put(auditor.token, { instructions: 'x' })).status).toBe(403);
    expect((await call(users, { method: 'GET', path: '/api/me/instructions' })).status).toBe(401);
    const ghost = issuer.accessToken({
      sub: randomUUID(),
      username: 'ghost@example.test',
      'cognito:groups': ['members'],
    });
    const missing = await put(ghost, { instructions: 'x' });
    expect(missing.status).toBe(404);
    expect((missing.body as { detail: string }).detail).toMatch(/No profile yet/);
  });
});
