import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type middy from '@middy/core';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lambdaContext } from '#test/support/lambda-context';

import { createTestIssuer, type TestIssuer } from '#test/support/tokens';
import { routeById, type RouteDeclaration, type RouteId } from '#api/index';
import { requestOriginOf } from '../audit/request-origin';
import type { RevocationList, TokenStanding } from '../revocation/revocation-list';
import type { Config } from '../config';
import type { Role } from '../db/schema';
import { ForbiddenError, UnauthorizedError } from '../errors';
import {
  assertAllowed,
  authContextFrom,
  authenticate,
  bearerToken,
  cachingVerifier,
  createTokenVerifier,
  MfaRequiredError,
  type Claims,
  type ServiceAccountRoles,
  type TokenVerifier,
} from './auth';
import type { ApiEvent, ApiResult, AuthContext } from './types';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';

/** Service-account roles from a table, recording whom it was asked about. */
function fakeServiceRoles(table: Record<string, Role> = {}) {
  const asked: string[] = [];
  const roles: ServiceAccountRoles = {
    roleOf: async (clientId) => {
      asked.push(clientId);
      return table[clientId] ?? null;
    },
  };
  return { roles, asked };
}

const user = (role: Role | null, overrides: Partial<AuthContext> = {}): AuthContext => ({
  userId: 'user-1',
  kind: 'user',
  username: 'ada@example.com',
  role,
  groups: role ? [role] : [],
  scopes: ['aws.cognito.signin.user.admin'],
  clientId: 'spa',
  ...overrides,
});

const service = (role: Role | null, scopes: string[]): AuthContext => ({
  userId: 'machine',
  kind: 'service',
  role,
  groups: [],
  scopes,
  clientId: 'machine',
});

describe('bearerToken', () => {
  it('returns the JWT of a Bearer Authorization header', () => {
    expect(bearerToken({ Authorization: `Bearer ${JWT}` })).toBe(JWT);
  });

  it('finds the header whatever the case of its name and trims surrounding space', () => {
    expect(bearerToken({ authorization: `  Bearer ${JWT}  ` })).toBe(JWT);
    expect(bearerToken({ AUTHORIZATION: `Bearer ${JWT}` })).toBe(JWT);
  });

  it.each([
    ['no headers at all', null],
    ['no Authorization header', { 'Content-Type': 'application/json' }],
    ['an empty header', { Authorization: '' }],
    ['a Basic credential', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ['a bare token without the scheme', { Authorization: JWT }],
    ['a token that is not a JWT', { Authorization: 'Bearer opaque-token' }],
    ['a JWT with a fourth segment', { Authorization: `Bearer ${JWT}.extra` }],
    ['two tokens', { Authorization: `Bearer ${JWT} ${JWT}` }],
    ['characters outside base64url', { Authorization: `Bearer ${JWT}+/=` }],
  ])('returns nothing for %s', (_case, headers) => {
    expect(bearerToken(headers)).toBeUndefined();
  });
});

describe('authContextFrom', () => {
  it('makes a person a user whose role is their group', async () => {
    // Prepare
    const { roles, asked } = fakeServiceRoles();
    const claims: Claims = {
      sub: 'sub-1',
      username: 'ada@example.com',
      client_id: 'spa',
      scope: 'openid aws.cognito.signin.user.admin',
      'cognito:groups': ['members'],
    };

    // Act
    const auth = await authContextFrom(claims, roles);

    // Assess
    expect(auth).toEqual({
      userId: 'sub-1',
      kind: 'user',
      username: 'ada@example.com',
      role: 'members',
      groups: ['members'],
      scopes: ['openid', 'aws.cognito.signin.user.admin'],
      clientId: 'spa',
    });
    expect(asked).toEqual([]);
  });

  it('gives a token that names no client an empty client id, never a service account', async () => {
    const { roles, asked } = fakeServiceRoles({ '': 'admins' });

    const auth = await authContextFrom({ sub: 'sub-3', username: 'x@example.com' }, roles);

    expect(auth).toEqual({
      userId: 'sub-3',
      kind: 'user',
      username: 'x@example.com',
      role: null,
      groups: [],
      scopes: [],
      clientId: '',
    });
    expect(asked).toEqual([]);
  });

  it('gives a user in no group no role', async () => {
    const auth = await authContextFrom(
      { sub: 'sub-2', username: 'new@example.com', client_id: 'spa' },
      fakeServiceRoles().roles,
    );

    expect(auth).toMatchObject({ kind: 'user', role: null, groups: [], scopes: [] });
  });

  it('ignores groups that are not roles', async () => {
    const auth = await authContextFrom(
      { sub: 'sub-3', username: 'x', client_id: 'spa', 'cognito:groups': ['beta-testers'] },
      fakeServiceRoles().roles,
    );

    expect(auth.role).toBeNull();
    expect(auth.groups).toEqual(['beta-testers']);
  });

  it('picks admins over members when a user is in both', async () => {
    const auth = await authContextFrom(
      { sub: 'sub-4', username: 'x', client_id: 'spa', 'cognito:groups': ['members', 'admins'] },
      fakeServiceRoles().roles,
    );

    expect(auth.role).toBe('admins');
  });

  it('makes a client-credentials token (no username, sub is the client) a service account with its stored role', async () => {
    const { roles, asked } = fakeServiceRoles({ 'machine-1': 'members' });

    const auth = await authContextFrom(
      { sub: 'machine-1', client_id: 'machine-1', scope: 'parley/chat.read parley/chat.write' },
      roles,
    );

    expect(auth).toEqual({
      userId: 'machine-1',
      kind: 'service',
      role: 'members',
      groups: [],
      scopes: ['parley/chat.read', 'parley/chat.write'],
      clientId: 'machine-1',
    });
    expect(asked).toEqual(['machine-1']);
  });

  it('gives a service account unknown to the database no role', async () => {
    const auth = await authContextFrom(
      { sub: 'machine-2', client_id: 'machine-2' },
      fakeServiceRoles().roles,
    );

    expect(auth).toMatchObject({ kind: 'service', role: null });
  });

  it('does not take a service role from a token that claims to be a client but names a user', async () => {
    const { roles, asked } = fakeServiceRoles({ 'machine-1': 'admins' });

    const auth = await authContextFrom(
      { sub: 'machine-1', client_id: 'machine-1', username: 'mallory' },
      roles,
    );

    expect(auth).toMatchObject({ kind: 'user', role: null });
    expect(asked).toEqual([]);
  });

  it('does not make a token without username a service account when its sub is not the client', async () => {
    const { roles, asked } = fakeServiceRoles({ spa: 'admins' });

    const auth = await authContextFrom({ sub: 'sub-9', client_id: 'spa' }, roles);

    expect(auth).toMatchObject({ kind: 'user', userId: 'sub-9', role: null });
    expect(asked).toEqual([]);
  });
});

describe('assertAllowed', () => {
  const customRoute = (
    access: RouteDeclaration['access'],
    scopes?: RouteDeclaration['scopes'],
  ): RouteDeclaration => ({
    id: 'test.route',
    method: 'GET',
    path: '/api/test',
    group: 'users',
    summary: 'A test route',
    responses: { 200: { description: 'ok' } },
    access,
    ...(scopes ? { scopes } : {}),
  });

  it('lets anyone use a public route', () => {
    expect(() => assertAllowed(routeById('health.live'), user(null))).not.toThrow();
    expect(() => assertAllowed(routeById('health.live'), service(null, []))).not.toThrow();
  });

  it('lets a signed-in user in no group use a signed-in route', () => {
    expect(() => assertAllowed(routeById('me.get'), user(null))).not.toThrow();
  });

  it.each<Role>(['members', 'admins'])('lets %s use a route listing their role', (role) => {
    expect(() => assertAllowed(routeById('conversations.list'), user(role))).not.toThrow();
  });

  it.each<[string, Role | null]>([
    ['auditors', 'auditors'],
    ['a user in no group', null],
  ])('forbids %s a route that does not list their role', (_case, role) => {
    expect(() => assertAllowed(routeById('conversations.list'), user(role))).toThrow(ForbiddenError);
  });

  it('lets a service account with an allowed role and a route scope through', () => {
    expect(() =>
      assertAllowed(routeById('conversations.list'), service('members', ['parley/chat.read'])),
    ).not.toThrow();
    expect(() =>
      assertAllowed(
        routeById('conversations.create'),
        service('members', ['parley/chat.read', 'parley/chat.write']),
      ),
    ).not.toThrow();
  });

  it('forbids a service account whose scopes do not include the route scope', () => {
    expect(() =>
      assertAllowed(routeById('conversations.create'), service('members', ['parley/chat.read'])),
    ).toThrow('The token lacks a scope this route requires.');
  });

  it('forbids a service account with a scope but no role', () => {
    expect(() => assertAllowed(routeById('conversations.list'), service(null, ['parley/chat.read']))).toThrow(
      'Your role does not allow this.',
    );
  });

  it('forbids a service account on a role route that declares no scopes', () => {
    expect(() => assertAllowed(customRoute(['members']), service('members', ['parley/chat.read']))).toThrow(
      ForbiddenError,
    );
  });

  it('does not require route scopes from people', () => {
    expect(() => assertAllowed(customRoute(['members']), user('members', { scopes: [] }))).not.toThrow();
  });

  it('refuses a service account on a signed-in route, which names no scope (as the authorizer)', () => {
    expect(() => assertAllowed(routeById('me.get'), service('members', ['parley/chat.read']))).toThrow(
      ForbiddenError,
    );
    expect(() => assertAllowed(routeById('health.live'), service(null, []))).not.toThrow();
  });
});

describe('createTokenVerifier (local emulator: JWKS fetched by us)', () => {
  let issuer: TestIssuer;
  let fetched: string[];
  let jwks: Jwks;
  let verifier: TokenVerifier;

  const configFor = (testIssuer: TestIssuer, clientIds = [testIssuer.clientId]) =>
    ({
      COGNITO_USER_POOL_ID: testIssuer.userPoolId,
      COGNITO_CLIENT_IDS: clientIds,
      COGNITO_ENDPOINT: 'http://127.0.0.1:1/',
    }) as unknown as Config;

  beforeEach(() => {
    issuer = createTestIssuer();
    fetched = [];
    jwks = issuer.jwks;
    verifier = createTokenVerifier(configFor(issuer), async (uri) => {
      fetched.push(uri);
      return jwks;
    });
  });

  it('accepts a valid access token and returns its claims', async () => {
    // Prepare
    const token = issuer.accessToken({ sub: 'sub-1', 'cognito:groups': ['members'] });

    // Act
    const claims = await verifier.verify(token);

    // Assess
    expect(claims).toMatchObject({ sub: 'sub-1', client_id: issuer.clientId, 'cognito:groups': ['members'] });
  });

  it('fetches the JWKS once, from the pool issuer (without a doubled slash), and then reuses it', async () => {
    await verifier.verify(issuer.accessToken());
    await verifier.verify(issuer.accessToken());
    await verifier.verify(issuer.accessToken());

    expect(fetched).toEqual([`${issuer.issuer}/.well-known/jwks.json`]);
  });

  it('fetches the JWKS once when the first requests arrive together', async () => {
    await Promise.all([1, 2, 3].map(() => verifier.verify(issuer.accessToken())));

    expect(fetched).toHaveLength(1);
  });

  it('accepts a token from any of the configured clients', async () => {
    const other = createTokenVerifier(configFor(issuer, ['machine', issuer.clientId]), async () => jwks);

    await expect(other.verify(issuer.accessToken({ client_id: 'machine' }))).resolves.toMatchObject({
      client_id: 'machine',
    });
  });

  it('fetches again after a failed JWKS fetch instead of caching the failure', async () => {
    let calls = 0;
    const flaky = createTokenVerifier(configFor(issuer), async () => {
      calls += 1;
      if (calls === 1) throw new Error('JWKS fetch failed with 503');
      return jwks;
    });

    await expect(flaky.verify(issuer.accessToken())).rejects.toThrow('503');
    await expect(flaky.verify(issuer.accessToken())).resolves.toBeDefined();
    expect(calls).toBe(2);
  });

  it.each<[string, Record<string, unknown>]>([
    [
      'an expired token',
      { exp: Math.floor(Date.now() / 1000) - 60, iat: Math.floor(Date.now() / 1000) - 3660 },
    ],
    ['a token issued to another client', { client_id: 'someone-else' }],
    ['a token with no client', { client_id: undefined }],
    ['an id token', { token_use: 'id', aud: 'x' }],
    ['a token from another user pool', { iss: 'http://127.0.0.1:1/local_OtherPool9' }],
    [
      'a token from another issuer host',
      { iss: 'https://cognito-idp.eu-west-1.amazonaws.com/local_TestPool1' },
    ],
  ])('refuses %s', async (_case, claims) => {
    await expect(verifier.verify(issuer.accessToken(claims))).rejects.toThrow();
  });

  it('refuses a token signed by another key under the known kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

    await expect(verifier.verify(issuer.accessToken({}, { key: privateKey }))).rejects.toThrow();
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const [header, , signature] = issuer.accessToken().split('.');
    const forged = Buffer.from(
      JSON.stringify({
        sub: randomUUID(),
        iss: issuer.issuer,
        client_id: issuer.clientId,
        token_use: 'access',
        exp: 9e9,
      }),
    ).toString('base64url');

    await expect(verifier.verify(`${header}.${forged}.${signature}`)).rejects.toThrow();
  });

  it('refuses a token whose kid is in no JWKS', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

    await expect(
      verifier.verify(issuer.accessToken({}, { key: privateKey, kid: 'unknown-kid' })),
    ).rejects.toThrow();
  });

  // After a key rotation, a token signed with the new key is accepted without a restart.
  it('refetches the JWKS once when a token names a kid it has not seen (key rotation)', async () => {
    // Prepare: a verifier that has loaded the first JWKS, then the issuer rotates to a new key.
    await verifier.verify(issuer.accessToken());
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rotatedKey = {
      ...publicKey.export({ format: 'jwk' }),
      kid: 'rotated-key',
      alg: 'RS256',
      use: 'sig',
    };
    jwks = { keys: [...jwks.keys, rotatedKey] } as unknown as Jwks;

    // Act
    const claims = await verifier.verify(
      issuer.accessToken({ sub: 'after-rotation' }, { key: privateKey, kid: 'rotated-key' }),
    );

    // Assess
    expect(claims.sub).toBe('after-rotation');
    expect(fetched).toHaveLength(2);
  });
});

describe('createTokenVerifier fetching the JWKS over HTTP (the local emulator)', () => {
  let server: Server;
  let status: number;
  let paths: string[];
  let issuer: TestIssuer;
  let verifier: TokenVerifier;

  beforeEach(async () => {
    status = 200;
    paths = [];
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? JSON.stringify(issuer.jwks) : '{"message":"unavailable"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    issuer = createTestIssuer(endpoint);
    verifier = createTokenVerifier({
      COGNITO_USER_POOL_ID: issuer.userPoolId,
      COGNITO_CLIENT_IDS: [issuer.clientId],
      COGNITO_ENDPOINT: `${endpoint}/`,
    } as unknown as Config);
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('accepts a valid token with the keys it fetched from the pool', async () => {
    const claims = await verifier.verify(issuer.accessToken({ sub: 'sub-http' }));

    expect(claims).toMatchObject({ sub: 'sub-http', client_id: issuer.clientId });
    expect(paths).toEqual([`/${issuer.userPoolId}/.well-known/jwks.json`]);
  });

  it('refuses every token while the JWKS answers an error status, naming the status', async () => {
    status = 503;

    await expect(verifier.verify(issuer.accessToken())).rejects.toThrow('JWKS fetch failed with 503');
  });
});

describe('createTokenVerifier on AWS (Cognito user pool, no emulator endpoint)', () => {
  // A token of another issuer is refused on its claims alone, before the pool's keys are fetched
  // (so these tests reach no network).
  const verifier = createTokenVerifier({
    COGNITO_USER_POOL_ID: 'eu-west-1_TestPool1',
    COGNITO_CLIENT_IDS: ['spa'],
    COGNITO_ENDPOINT: undefined,
  } as unknown as Config);

  it.each([
    ['the local emulator', 'http://127.0.0.1:9229/eu-west-1_TestPool1'],
    ['another user pool', 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool'],
    ['another region', 'https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_TestPool1'],
  ])('refuses a token issued by %s before fetching any key', async (_case, iss) => {
    const token = createTestIssuer().accessToken({ iss, client_id: 'spa' });

    await expect(verifier.verify(token)).rejects.toThrow(/issuer/i);
  });
});

describe('cachingVerifier (verified tokens remembered until their expiry)', () => {
  const EXP = 2_000_000_000; // seconds
  /** A verifier that accepts tokens per `answers` and counts its calls. */
  function countingVerifier(answers: Record<string, Claims | Error>) {
    const calls: string[] = [];
    const inner: TokenVerifier = {
      verify: async (token) => {
        calls.push(token);
        const answer = answers[token];
        if (!answer || answer instanceof Error) throw answer ?? new Error('unknown token');
        return answer;
      },
    };
    return { inner, calls };
  }

  it('verifies a token once and answers its repeats from memory, with the same claims', async () => {
    const { inner, calls } = countingVerifier({ a: { sub: 'ada', exp: EXP } });
    const verifier = cachingVerifier(inner, { now: () => EXP * 1000 - 60_000 });

    const first = await verifier.verify('a');
    const second = await verifier.verify('a');

    expect(calls).toEqual(['a']);
    expect(second).toEqual(first);
    expect(second).toEqual({ sub: 'ada', exp: EXP });
  });

  it('refuses a remembered token once its exp has passed (the inner check runs again)', async () => {
    let now = EXP * 1000 - 1_000;
    const answers: Record<string, Claims | Error> = { a: { sub: 'ada', exp: EXP } };
    const { inner, calls } = countingVerifier(answers);
    const verifier = cachingVerifier(inner, { now: () => now });
    await verifier.verify('a');

    now = EXP * 1000; // the very millisecond of exp: no longer valid
    answers.a = new Error('token expired');

    await expect(verifier.verify('a')).rejects.toThrow('token expired');
    expect(calls).toEqual(['a', 'a']);
  });

  it('does not remember refusals, nor tokens without a numeric exp', async () => {
    const { inner, calls } = countingVerifier({ bad: new Error('invalid'), noexp: { sub: 'x' } });
    const verifier = cachingVerifier(inner, { now: () => 0 });

    await expect(verifier.verify('bad')).rejects.toThrow('invalid');
    await expect(verifier.verify('bad')).rejects.toThrow('invalid');
    await verifier.verify('noexp');
    await verifier.verify('noexp');

    expect(calls).toEqual(['bad', 'bad', 'noexp', 'noexp']);
  });

  it('keeps at most maxEntries tokens, dropping the oldest', async () => {
    const { inner, calls } = countingVerifier({
      a: { sub: 'a', exp: EXP },
      b: { sub: 'b', exp: EXP },
      c: { sub: 'c', exp: EXP },
    });
    const verifier = cachingVerifier(inner, { maxEntries: 2, now: () => 0 });

    for (const token of ['a', 'b', 'c', 'c', 'b', 'a']) await verifier.verify(token);

    // `a` made room for `c`, so it is verified again; `b` and `c` come from memory.
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
  });

  it('tells tokens apart: another token is verified on its own', async () => {
    const { inner } = countingVerifier({ a: { sub: 'ada', exp: EXP }, b: new Error('forged') });
    const verifier = cachingVerifier(inner, { now: () => 0 });
    await verifier.verify('a');

    await expect(verifier.verify('b')).rejects.toThrow('forged');
  });

  it('hands out claims that a caller cannot change for the next request', async () => {
    const { inner } = countingVerifier({ a: { sub: 'ada', exp: EXP } });
    const verifier = cachingVerifier(inner, { now: () => 0 });
    await verifier.verify('a');

    const remembered = (await verifier.verify('a')) as Record<string, unknown>;

    expect(() => {
      remembered.sub = 'mallory';
    }).toThrow(TypeError);
    expect((await verifier.verify('a')).sub).toBe('ada');
  });

  it('with createTokenVerifier, still refuses a real token after its expiry', async () => {
    const issuer = createTestIssuer();
    const config = {
      COGNITO_USER_POOL_ID: issuer.userPoolId,
      COGNITO_CLIENT_IDS: [issuer.clientId],
      COGNITO_ENDPOINT: 'http://127.0.0.1:1/',
    } as unknown as Config;
    const verifier = createTokenVerifier(config, async () => issuer.jwks);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const shortLived = issuer.accessToken({ iat: nowSeconds - 10, exp: nowSeconds + 1 });
    await expect(verifier.verify(shortLived)).resolves.toMatchObject({ exp: nowSeconds + 1 });

    await new Promise((resolve) => setTimeout(resolve, (nowSeconds + 1) * 1000 - Date.now() + 50));

    await expect(verifier.verify(shortLived)).rejects.toThrow();
  });
});

describe('authenticate', () => {
  const context = lambdaContext();

  function requestFor(
    routeId: RouteId,
    headers: Record<string, string> = {},
  ): middy.Request<ApiEvent, ApiResult> {
    const event = {
      headers,
      parley: { requestId: 'req-1', route: routeById(routeId) },
    } as unknown as ApiEvent;
    return { event, context, response: undefined, error: undefined, internal: {} };
  }

  const verifierReturning = (claims: Claims | Error): TokenVerifier => ({
    verify: async () => {
      if (claims instanceof Error) throw claims;
      return claims;
    },
  });

  const NOW = new Date('2026-12-01T12:00:00Z');
  const nowSeconds = NOW.getTime() / 1000;
  /** A revocation list holding the given standings (others: nothing revoked). */
  const standings = (entries: Record<string, TokenStanding> = {}): RevocationList => ({
    standingOf: async (userId) => entries[userId] ?? { validAfter: null, disabled: false },
    revokeTokens: async () => undefined,
  });
  const middleware = (
    verifier: TokenVerifier,
    roles = fakeServiceRoles().roles,
    revocations = standings(),
    mfaRequiredRoles: readonly Role[] = [],
    /** The database's standing, past the cache; by default what the revocation list says. */
    current: RevocationList = revocations,
  ) =>
    authenticate({
      verifier: () => verifier,
      serviceRoles: () => roles,
      revocations: () => revocations,
      mfaRequiredRoles: () => mfaRequiredRoles,
      currentStanding: (userId) => current.standingOf(userId),
      now: () => NOW,
    });

  describe('MFA for privileged roles (where the pool makes it optional)', () => {
    const person = (role: Role) =>
      verifierReturning({
        sub: 's',
        username: 'u',
        client_id: 'spa',
        'cognito:groups': [role],
        iat: nowSeconds,
      });
    const withMfa = (mfaEnabled: boolean) =>
      standings({ s: { validAfter: null, disabled: false, mfaEnabled } });
    const PRIVILEGED: Role[] = ['admins', 'auditors'];

    it.each([
      ['admins', 'admin.users.list'],
      ['auditors', 'admin.audit.list'],
    ] as const)('refuses %s without TOTP with 403 mfa-required naming the enrolment', async (role, route) => {
      const request = requestFor(route, { Authorization: `Bearer ${JWT}` });

      const error = await Promise.resolve(
        middleware(person(role), undefined, withMfa(false), PRIVILEGED).before?.(request),
      ).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(MfaRequiredError);
      expect((error as MfaRequiredError).status).toBe(403);
      expect((error as MfaRequiredError).slug).toBe('mfa-required');
      expect((error as Error).message).toMatch(/enrol an authenticator app/);
    });

    it('lets them in with TOTP on, lets members in without it, and leaves /me open to all', async () => {
      const cases: [Role, RouteId, boolean][] = [
        ['admins', 'admin.users.list', true],
        ['members', 'conversations.list', false],
        ['admins', 'me.get', false],
      ];
      for (const [role, route, mfa] of cases) {
        const request = requestFor(route, { Authorization: `Bearer ${JWT}` });
        await middleware(person(role), undefined, withMfa(mfa), PRIVILEGED).before?.(request);
        expect(request.event.parley.auth?.role, `${role} on ${route}`).toBe(role);
      }
    });

    it('lets an admin in whose cached standing predates the sign-in that recorded their TOTP', async () => {
      // Prepare: the cache still says no TOTP (it answered the 403 that sent them to enrol).
      const request = requestFor('admin.users.list', { Authorization: `Bearer ${JWT}` });
      const cachedBeforeEnrolment = withMfa(false);
      const database = withMfa(true);

      // Act
      await middleware(person('admins'), undefined, cachedBeforeEnrolment, PRIVILEGED, database).before?.(
        request,
      );

      // Assess
      expect(request.event.parley.auth?.role).toBe('admins');
    });

    it('refuses with 401, not 403, when the database read before an mfa-required refusal finds the token revoked', async () => {
      const request = requestFor('admin.users.list', { Authorization: `Bearer ${JWT}` });
      const database = standings({ s: { validAfter: new Date(NOW.getTime() + 1_000), disabled: false } });

      const error = await Promise.resolve(
        middleware(person('admins'), undefined, withMfa(false), PRIVILEGED, database).before?.(request),
      ).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(request.event.parley.auth).toBeUndefined();
    });

    it('asks the database only before an mfa-required refusal, never on the way in', async () => {
      // Prepare
      const asked: string[] = [];
      const database: RevocationList = {
        standingOf: async (userId) => {
          asked.push(userId);
          return { validAfter: null, disabled: false, mfaEnabled: false };
        },
        revokeTokens: async () => undefined,
      };
      const cases: [Role, RouteId, boolean][] = [
        ['admins', 'admin.users.list', true],
        ['members', 'conversations.list', false],
        ['admins', 'me.get', false],
      ];

      // Act
      for (const [role, route, mfa] of cases) {
        const request = requestFor(route, { Authorization: `Bearer ${JWT}` });
        await middleware(person(role), undefined, withMfa(mfa), PRIVILEGED, database).before?.(request);
      }
      const refused = requestFor('admin.audit.list', { Authorization: `Bearer ${JWT}` });
      const error = await Promise.resolve(
        middleware(person('auditors'), undefined, withMfa(false), PRIVILEGED, database).before?.(refused),
      ).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(MfaRequiredError);
      expect(asked).toEqual(['s']);
    });

    it('enforces nothing where the pool requires MFA of everyone (no roles configured)', async () => {
      const request = requestFor('admin.users.list', { Authorization: `Bearer ${JWT}` });
      await middleware(person('admins'), undefined, withMfa(false), []).before?.(request);
      expect(request.event.parley.auth?.role).toBe('admins');
    });
  });

  describe('revocation', () => {
    const member = (iat: number) =>
      verifierReturning({ sub: 's', username: 'u', client_id: 'spa', 'cognito:groups': ['members'], iat });

    it.each([
      [
        'issued before a revocation',
        { validAfter: new Date(NOW.getTime() - 60_000), disabled: false },
        nowSeconds - 120,
      ],
      ['of a disabled user', { validAfter: null, disabled: true }, nowSeconds - 10],
    ])('refuses a token %s with 401 on the next request', async (_case, standing, iat) => {
      const request = requestFor('conversations.list', { Authorization: `Bearer ${JWT}` });

      const error = await Promise.resolve(
        middleware(member(iat), undefined, standings({ s: standing })).before?.(request),
      ).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(UnauthorizedError);
      expect((error as Error).message).toBe('The access token was revoked; sign in again.');
    });

    it('accepts a token issued after the revocation, or in its very second', async () => {
      const validAfter = new Date(NOW.getTime() - 60_500);
      for (const iat of [Math.floor(validAfter.getTime() / 1000), nowSeconds - 10]) {
        const request = requestFor('conversations.list', { Authorization: `Bearer ${JWT}` });
        await middleware(member(iat), undefined, standings({ s: { validAfter, disabled: false } })).before?.(
          request,
        );
        expect(request.event.parley.auth?.userId).toBe('s');
      }
    });

    it('refuses a remembered (cached) token on the first request after its user is revoked', async () => {
      // Prepare: the same token, accepted once through the cache, then its user signs out everywhere.
      let standing: TokenStanding = { validAfter: null, disabled: false };
      const revocations: RevocationList = {
        standingOf: async () => standing,
        revokeTokens: async () => undefined,
      };
      const verifier = cachingVerifier(
        verifierReturning({
          sub: 's',
          username: 'u',
          client_id: 'spa',
          'cognito:groups': ['members'],
          iat: nowSeconds - 10,
          exp: nowSeconds + 3600,
        }),
        { now: () => NOW.getTime() },
      );
      const first = requestFor('conversations.list', { Authorization: `Bearer ${JWT}` });
      await middleware(verifier, undefined, revocations).before?.(first);
      expect(first.event.parley.auth?.userId).toBe('s');
      standing = { validAfter: NOW, disabled: false };

      // Act
      const next = requestFor('conversations.list', { Authorization: `Bearer ${JWT}` });
      const error = await Promise.resolve(middleware(verifier, undefined, revocations).before?.(next)).catch(
        (e: unknown) => e,
      );

      // Assess
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(next.event.parley.auth).toBeUndefined();
    });

    it("refuses with 401 a token whose role is not the user's stored role, even from the very second of the change", async () => {
      // Prepare: a role change to auditors recorded its instant; a refresh in that same second
      // read the role still committed (members), so its iat passes the whole-second comparison.
      const validAfter = new Date(NOW.getTime() - 60_500);
      const iat = Math.floor(validAfter.getTime() / 1000);
      const request = requestFor('me.get', { Authorization: `Bearer ${JWT}` });

      // Act
      const error = await Promise.resolve(
        middleware(
          member(iat),
          undefined,
          standings({ s: { validAfter, disabled: false, role: 'auditors' } }),
        ).before?.(request),
      ).catch((e: unknown) => e);

      // Assess: the same 'session ended' answer as a revoked token, so the app gets a fresh one.
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect((error as Error).message).toBe('The access token was revoked; sign in again.');
      expect(request.event.parley.auth).toBeUndefined();
    });

    it('refuses a token without a role group when a role is stored', async () => {
      const request = requestFor('me.get', { Authorization: `Bearer ${JWT}` });
      const noGroup = verifierReturning({ sub: 's', username: 'u', client_id: 'spa', iat: nowSeconds - 10 });

      await expect(
        middleware(
          noGroup,
          undefined,
          standings({ s: { validAfter: null, disabled: false, role: 'members' } }),
        ).before?.(request),
      ).rejects.toBeInstanceOf(UnauthorizedError);
    });

    it('accepts a token carrying the stored role, and any role while none is stored or known', async () => {
      const cases: TokenStanding[] = [
        { validAfter: null, disabled: false, role: 'members' },
        { validAfter: null, disabled: false, role: null },
        { validAfter: null, disabled: false },
      ];
      for (const standing of cases) {
        const request = requestFor('conversations.list', { Authorization: `Bearer ${JWT}` });
        await middleware(member(nowSeconds - 10), undefined, standings({ s: standing })).before?.(request);
        expect(request.event.parley.auth?.role, JSON.stringify(standing)).toBe('members');
      }
    });

    it('refuses on the database standing read before an mfa-required refusal when it holds another role', async () => {
      const admin = verifierReturning({
        sub: 's',
        username: 'u',
        client_id: 'spa',
        'cognito:groups': ['admins'],
        iat: nowSeconds - 10,
      });
      const request = requestFor('admin.users.list', { Authorization: `Bearer ${JWT}` });
      const cached = standings({ s: { validAfter: null, disabled: false, mfaEnabled: false } });
      const database = standings({
        s: { validAfter: null, disabled: false, mfaEnabled: true, role: 'members' },
      });

      const error = await Promise.resolve(
        middleware(admin, undefined, cached, ['admins'], database).before?.(request),
      ).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(UnauthorizedError);
    });

    it("leaves a machine client's role to its service account: no stored role is compared", async () => {
      const { roles } = fakeServiceRoles({ 'client-1': 'members' });
      const client = verifierReturning({
        sub: 'client-1',
        client_id: 'client-1',
        scope: 'parley/chat.read',
        iat: nowSeconds - 10,
      });
      const request = requestFor('conversations.list', { Authorization: `Bearer ${JWT}` });

      await middleware(
        client,
        roles,
        standings({ 'client-1': { validAfter: null, disabled: false, role: 'admins' } }),
      ).before?.(request);

      expect(request.event.parley.auth).toMatchObject({ kind: 'service', role: 'members' });
    });

    it('refuses a token issued more than five minutes in the future, and accepts small skew', async () => {
      const future = requestFor('me.get', { Authorization: `Bearer ${JWT}` });
      const skewed = requestFor('me.get', { Authorization: `Bearer ${JWT}` });

      await expect(middleware(member(nowSeconds + 301)).before?.(future)).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      await middleware(member(nowSeconds + 299)).before?.(skewed);
      expect(skewed.event.parley.auth?.userId).toBe('s');
    });
  });

  it('forgets the origin of the request once it is answered, or refused', async () => {
    // Prepare
    const request = requestFor('me.get', {
      Authorization: `Bearer ${JWT}`,
      'User-Agent': 'Parley-Test/1.0',
    });
    const target = middleware(verifierReturning(new Error('bad signature')));

    // Act
    const refusal = await Promise.resolve(target.before?.(request)).catch((e: unknown) => e);
    const remembered = requestOriginOf('req-1');
    await target.onError?.(request);

    // Assess
    expect(refusal).toBeInstanceOf(UnauthorizedError);
    expect(remembered).toEqual({ sourceIp: null, userAgent: 'Parley-Test/1.0' });
    expect(requestOriginOf('req-1')).toBeUndefined();
  });

  it('has nothing to forget for a request that failed before it had an id', async () => {
    const request = {
      event: { headers: {} } as unknown as ApiEvent,
      context,
      response: undefined,
      error: new Error('earlier middleware failed'),
      internal: {},
    };

    await expect(
      Promise.resolve(middleware(verifierReturning({})).onError?.(request)),
    ).resolves.toBeUndefined();
  });

  it('skips public routes without asking for a token', async () => {
    const request = requestFor('health.live');
    let verified = false;

    await middleware({ verify: async () => ((verified = true), {}) }).before?.(request);

    expect(verified).toBe(false);
    expect(request.event.parley.auth).toBeUndefined();
  });

  it('puts the caller on the request when the token is valid and the role allowed', async () => {
    const request = requestFor('conversations.list', { Authorization: `Bearer ${JWT}` });
    const verifier = verifierReturning({
      sub: 's',
      username: 'u',
      client_id: 'spa',
      'cognito:groups': ['members'],
    });

    await middleware(verifier).before?.(request);

    expect(request.event.parley.auth).toMatchObject({ userId: 's', role: 'members' });
  });

  it('refuses a request without a bearer token with 401', async () => {
    await expect(middleware(verifierReturning({})).before?.(requestFor('me.get'))).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });

  it('refuses an invalid token with a 401 that does not repeat the verifier error', async () => {
    const request = requestFor('me.get', { Authorization: `Bearer ${JWT}` });

    const error = await Promise.resolve(
      middleware(verifierReturning(new Error('Issuer not allowed: http://internal-host/pool'))).before?.(
        request,
      ),
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as Error).message).toBe('The access token is invalid or expired.');
  });

  it('refuses a valid token whose role the route does not allow with 403', async () => {
    const request = requestFor('conversations.create', { Authorization: `Bearer ${JWT}` });
    const verifier = verifierReturning({
      sub: 's',
      username: 'u',
      client_id: 'spa',
      'cognito:groups': ['auditors'],
    });

    await expect(middleware(verifier).before?.(request)).rejects.toBeInstanceOf(ForbiddenError);
    expect(request.event.parley.auth).toBeUndefined();
  });
});
