import type middy from '@middy/core';
import { hash } from 'node:crypto';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache, type Jwks } from 'aws-jwt-verify/jwk';
import type { RouteDeclaration } from './route';
import { getConfig, type Config } from '../config';
import { ROLES, type Role } from '../domain/roles';
import { DomainError, ForbiddenError, UnauthorizedError } from '../errors';
import {
  tokenVerdict,
  type RevocationList,
  type TokenStanding,
  type TokenVerdict,
} from '../revocation/revocation-list';
import { forgetRequestOrigin, rememberRequestOrigin } from '../audit/request-origin';
import { requestHeader } from './request-header';
import type { ApiEvent, ApiResult, AuthContext } from './types';
import { nodeFetch } from '../aws/node-fetch';

export type Claims = Readonly<Record<string, unknown>>;

/** Verifies a Cognito access token: signature, issuer, expiry, token use and client id. */
export interface TokenVerifier {
  verify(token: string): Promise<Claims>;
}

/** Machine clients carry no group: their role is the one an admin gave their service account. */
export interface ServiceAccountRoles {
  /**
   * The client's role, null without one. A client seen for the first time is registered as a
   * service account without a role (audited, naming `requestId`), for an admin to give one.
   */
  roleOf(clientId: string, requestId?: string): Promise<Role | null>;
}

/**
 * On AWS, CognitoJwtVerifier (it knows Cognito's issuer and JWKS). Against the local emulator,
 * which serves its JWKS over plain HTTP that the library's fetcher refuses, JwtRsaVerifier with a
 * JWKS cache whose fetcher is ours.
 */
export function createTokenVerifier(
  config: Config,
  fetchJwks: (uri: string) => Promise<Jwks> = httpJwks,
): TokenVerifier {
  return cachingVerifier(signatureVerifier(config, fetchJwks));
}

export interface VerifiedTokenCacheOptions {
  /** Most tokens kept; the oldest entry makes room. @default 1000 */
  readonly maxEntries?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
}

/**
 * Remembers the claims of tokens `inner` accepted, keyed by the token's SHA-256 (the token itself
 * is not kept), until the token's `exp` and never beyond: a client sends the same access token
 * with every request for an hour, and the signature check is the costliest part of a request.
 * Only the outcome of the signature, issuer, client and expiry checks is reused; revocation and
 * the route's access rule are still checked on every request. Refused tokens are not remembered.
 */
export function cachingVerifier(
  inner: TokenVerifier,
  options: VerifiedTokenCacheOptions = {},
): TokenVerifier {
  const maxEntries = options.maxEntries ?? 1000;
  const now = options.now ?? Date.now;
  const verified = new Map<string, { readonly claims: Claims; readonly expiresAtMs: number }>();
  return {
    async verify(token) {
      const key = hash('sha256', token, 'base64url');
      const hit = verified.get(key);
      if (hit) {
        if (now() < hit.expiresAtMs) return hit.claims;
        verified.delete(key);
      }
      const claims = await inner.verify(token);
      // A token without a numeric expiry is never remembered (the inner check requires one).
      if (typeof claims.exp === 'number' && now() < claims.exp * 1000) {
        if (verified.size >= maxEntries) verified.delete(verified.keys().next().value as string);
        verified.set(key, { claims: Object.freeze({ ...claims }), expiresAtMs: claims.exp * 1000 });
      }
      return claims;
    },
  };
}

function signatureVerifier(config: Config, fetchJwks: (uri: string) => Promise<Jwks>): TokenVerifier {
  const clientIds = config.COGNITO_CLIENT_IDS;
  if (!config.COGNITO_ENDPOINT) {
    const verifier = CognitoJwtVerifier.create({
      userPoolId: config.COGNITO_USER_POOL_ID,
      tokenUse: 'access',
      clientId: clientIds,
    });
    return { verify: async (token) => (await verifier.verify(token)) as unknown as Claims };
  }
  const issuer = `${config.COGNITO_ENDPOINT.replace(/\/$/, '')}/${config.COGNITO_USER_POOL_ID}`;
  // The library's cache keeps the keys and refetches once for an unknown key id (key rotation);
  // only the fetch itself is ours.
  const jwksCache = new SimpleJwksCache({
    fetcher: {
      fetch: async (uri: string) =>
        new TextEncoder().encode(JSON.stringify(await fetchJwks(uri))).buffer as ArrayBuffer,
    },
  });
  const verifier = JwtRsaVerifier.create(
    {
      issuer,
      audience: null,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== 'access') throw new Error('not an access token');
        if (typeof payload.client_id !== 'string' || !clientIds.includes(payload.client_id))
          throw new Error('token issued to another client');
      },
    },
    { jwksCache },
  );
  return { verify: async (token) => (await verifier.verify(token)) as unknown as Claims };
}

async function httpJwks(uri: string): Promise<Jwks> {
  const response = await nodeFetch(uri, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`JWKS fetch failed with ${response.status}`);
  return (await response.json()) as Jwks;
}

export function bearerToken(headers: Record<string, string | undefined> | null): string | undefined {
  const value = requestHeader(headers, 'authorization');
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  const match = /^Bearer +([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+)$/i.exec(value?.trim() ?? '');
  return match?.[1];
}

/** The caller as the rest of the code sees it. Groups decide the role of people. */
export async function authContextFrom(
  claims: Claims,
  serviceRoles: ServiceAccountRoles,
  requestId?: string,
): Promise<AuthContext> {
  const clientId = String(claims.client_id ?? '');
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  const groups = Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'].map(String) : [];
  const username = typeof claims.username === 'string' ? claims.username : undefined;
  // Client-credentials tokens have no user name and their subject is the client itself.
  if (!username && claims.sub === clientId) {
    return {
      userId: clientId,
      kind: 'service',
      role: await serviceRoles.roleOf(clientId, requestId),
      groups,
      scopes,
      clientId,
    };
  }
  const role = ROLES.find((r) => groups.includes(r)) ?? null;
  return { userId: String(claims.sub), kind: 'user', username, role, groups, scopes, clientId };
}

/**
 * Whether the caller may use the route: its role, and for machine clients also a route scope.
 * A route that names no scope admits no machine client, `signed-in` ones included (as the API
 * Gateway authorizer, which asks those for the user scope only people's tokens carry).
 */
export function assertAllowed(route: RouteDeclaration, auth: AuthContext): void {
  if (route.access === 'public') return;
  if (auth.kind === 'service' && !auth.scopes.some((s) => route.scopes?.includes(s as never))) {
    throw new ForbiddenError('The token lacks a scope this route requires.');
  }
  if (route.access === 'signed-in') return;
  if (!auth.role || !route.access.includes(auth.role))
    throw new ForbiddenError('Your role does not allow this.');
}

/** 403 for a person whose role needs a second factor they have not set up. */
export class MfaRequiredError extends DomainError {
  readonly status = 403;
  readonly slug = 'mfa-required';
  readonly title = 'Two-factor authentication required';
  constructor() {
    super(
      'Your role needs two-factor authentication: enrol an authenticator app (TOTP) at your next sign-in, then sign in again.',
    );
  }
}

export interface AuthenticateOptions {
  readonly verifier: () => TokenVerifier;
  readonly serviceRoles: () => ServiceAccountRoles;
  /**
   * Disabled users and revoked tokens (disable, role change, sign-out everywhere), the stored role
   * a person's token must carry, and MFA.
   */
  readonly revocations: () => RevocationList;
  /**
   * Roles refused on their routes until the person's TOTP is on (where the pool's MFA is
   * optional). @default the configuration's MFA_REQUIRED_ROLES
   */
  readonly mfaRequiredRoles?: () => readonly Role[];
  /**
   * A user's standing as the database has it now, past the cache: asked only before refusing with
   * `mfa-required`. @default `users` read on the configured database (loaded on first use)
   */
  readonly currentStanding?: (userId: string) => Promise<TokenStanding>;
  readonly now?: () => Date;
}

/** Loaded on first use, as the revocation list is (api-handler): only a refusal needs it. */
async function databaseStanding(userId: string): Promise<TokenStanding> {
  const [{ getSql }, { currentStanding }] = await Promise.all([
    import('../db/sql-database'),
    import('../revocation/postgres-revocation-list'),
  ]);
  return currentStanding(getSql(), userId);
}

const REFUSED: Record<Exclude<TokenVerdict, 'valid'>, string> = {
  revoked: 'The access token was revoked; sign in again.',
  disabled: 'The access token was revoked; sign in again.',
  // The role changed after the token's claims were read: the app's refresh gets the new one.
  'role-changed': 'The access token was revoked; sign in again.',
  'issued-in-future': 'The access token is invalid or expired.',
};

/**
 * Verifies the bearer token again inside the function (the authorizer already did: defence in
 * depth, and the only check locally besides the local gateway) and applies the route's access rule.
 */
export function authenticate(options: AuthenticateOptions): middy.MiddlewareObj<ApiEvent, ApiResult> {
  const forget = (request: middy.Request<ApiEvent, ApiResult>) => {
    const requestId = request.event.parley?.requestId;
    if (requestId) forgetRequestOrigin(requestId);
  };
  return {
    name: 'authenticate',
    before: async (request) => {
      const { event } = request;
      const route = event.parley.route;
      if (route.access === 'public') return;
      // Every audit event of this request names where it came from.
      rememberRequestOrigin(event.parley.requestId, {
        sourceIp: event.requestContext?.identity?.sourceIp ?? null,
        userAgent:
          requestHeader(event.headers, 'user-agent') ?? event.requestContext?.identity?.userAgent ?? null,
      });
      const token = bearerToken(event.headers);
      if (!token) throw new UnauthorizedError('Send a Cognito access token as a Bearer token.');
      let claims: Claims;
      try {
        claims = await options.verifier().verify(token);
      } catch {
        throw new UnauthorizedError('The access token is invalid or expired.');
      }
      const auth = await authContextFrom(claims, options.serviceRoles(), event.parley.requestId);
      const issuedAt = typeof claims.iat === 'number' ? claims.iat : 0;
      const now = options.now?.() ?? new Date();
      // Machine clients are stopped through their service account's role (no role: 403).
      const standing =
        auth.kind === 'user'
          ? await options.revocations().standingOf(auth.userId)
          : { validAfter: null, disabled: false };
      // A person's token must carry their stored role (the same cached read: no extra round trip).
      const tokenRole = auth.kind === 'user' ? auth.role : undefined;
      const refuseUnlessValid = (of: TokenStanding) => {
        const verdict = tokenVerdict(issuedAt, of, now, tokenRole);
        if (verdict !== 'valid') throw new UnauthorizedError(REFUSED[verdict]);
      };
      refuseUnlessValid(standing);
      assertAllowed(route, auth);
      // Only on role routes: /me stays open, so the app can say why and lead to enrolment.
      const mfaRoles = options.mfaRequiredRoles?.() ?? getConfig().MFA_REQUIRED_ROLES;
      if (
        route.access !== 'signed-in' &&
        auth.kind === 'user' &&
        auth.role &&
        mfaRoles.includes(auth.role) &&
        standing.mfaEnabled !== true
      ) {
        // The cached standing may predate the sign-in that recorded the TOTP (the triggers reach no
        // cache on AWS), and 403 tells the person to sign in again: before refusing, which is rare,
        // the database decides. Its answer may revoke the token too.
        const current = await (options.currentStanding ?? databaseStanding)(auth.userId);
        refuseUnlessValid(current);
        if (current.mfaEnabled !== true) throw new MfaRequiredError();
      }
      event.parley.auth = auth;
    },
    after: forget,
    onError: forget,
  };
}
