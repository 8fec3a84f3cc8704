import {
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { passwordPolicyViolations } from '../../functions/auth/domain/password-policy';

/**
 * The front of the local Cognito: every client (SDK, Amplify, our CLI) talks to this proxy, which
 * forwards to cognito-local after filling the emulator's gaps (see /work/shared/COGNITO-LOCAL.md)
 * with our real rules: the PreAuthentication trigger, the password policy, disabled users, real
 * error codes, GetTokensFromRefreshToken, verified access tokens, global sign-out, the
 * pre-token-generation group override, CORS for the web origin only.
 */

export type TriggerName =
  'PreAuthentication' | 'PostAuthentication' | 'PostConfirmation' | 'PreTokenGeneration';
export type InvokeTrigger = (name: TriggerName, event: unknown) => Promise<unknown>;

export interface CognitoProxyContext {
  /** cognito-local's own URL (loopback). */
  readonly emulatorUrl: string;
  /** The proxy's URL: the token issuer domain. */
  readonly endpoint: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly webOrigin: string;
  readonly invokeTrigger: InvokeTrigger;
  /** Where global sign-outs are kept across restarts. */
  readonly signOutFile: string;
  /** The groups the last PreTokenGeneration run gave each user (by Cognito user name). */
  readonly groupOverrides: Map<string, { readonly groups: string[]; readonly at: number }>;
}

type Json = Record<string, unknown>;

/** A Cognito error, answered as the real service does (400, `__type`, `x-amzn-errortype`). */
export class CognitoApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'CognitoApiError';
  }
}

const WRONG_CREDENTIALS = 'Incorrect username or password.';
/** Real Cognito lets an auth session live 3 minutes. */
const SESSION_TTL_MS = 3 * 60_000;
/** A PreTokenGeneration result older than this cannot belong to the token being answered. */
const OVERRIDE_TTL_MS = 60_000;
const PREFLIGHT_HEADERS = [
  'content-type',
  'x-amz-target',
  'x-amz-user-agent',
  'cache-control',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
].join(', ');
const MAX_BODY_BYTES = 1024 * 1024;

interface EmulatorKeys {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

function loadEmulatorKeys(): EmulatorKeys {
  // The emulator signs with a key pair shipped in its package; we verify with, and re-sign with, it.
  const require = createRequire(import.meta.url);
  const pub = require('cognito-local/lib/keys/cognitoLocal.public.json') as { jwk: Record<string, string> };
  const priv = require('cognito-local/lib/keys/cognitoLocal.private.json') as { pem: string };
  return {
    publicKey: createPublicKey({ key: pub.jwk, format: 'jwk' }),
    privateKey: createPrivateKey(priv.pem),
  };
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

export function decodeJwt(token: string): Json | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Json) : null;
  } catch {
    return null;
  }
}

function verifyJwt(token: string, key: KeyObject): Json | null {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return null;
  const ok = createVerify('RSA-SHA256')
    .update(`${header}.${payload}`)
    .verify(key, Buffer.from(signature, 'base64url'));
  return ok ? decodeJwt(token) : null;
}

function signJwt(payload: Json, key: KeyObject): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'CognitoLocal' }));
  const body = b64url(JSON.stringify(payload));
  const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key);
  return `${head}.${body}.${b64url(signature)}`;
}

/** E-mail user names are case-insensitive in Cognito; the emulator compares them exactly. */
function normaliseUsername(value: unknown): unknown {
  return typeof value === 'string' && value.includes('@') ? value.trim().toLowerCase() : value;
}

function assertPasswordPolicy(password: unknown): void {
  if (typeof password !== 'string') return;
  const problems = passwordPolicyViolations(password);
  if (problems.length > 0) {
    throw new CognitoApiError(
      'InvalidPasswordException',
      `Password does not conform to policy: ${problems.join('. ')}`,
    );
  }
}

/** A random temporary password that satisfies the policy (Cognito generates one when none is given). */
function generateTemporaryPassword(): string {
  const pick = (set: string) => set.charAt(randomBytes(1).readUInt8(0) % set.length);
  const body = randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
  return `${pick('ABCDEFGHJKLMNPQRSTUVWXYZ')}${pick('abcdefghijkmnpqrstuvwxyz')}${pick('23456789')}${pick('!#%*+=?')}${body}`;
}

interface EmulatorUser {
  readonly Username: string;
  readonly Enabled: boolean;
  readonly UserStatus?: string;
  readonly UserAttributes?: { Name: string; Value?: string }[];
  readonly UserMFASettingList?: string[];
}

export function createCognitoProxy(ctx: CognitoProxyContext) {
  const keys = loadEmulatorKeys();
  const issuer = `${ctx.endpoint}/${ctx.userPoolId}`;
  const sessions = new Map<string, { sub: string; expiresAt: number }>();
  const signedOut: Record<string, number> = readSignOuts(ctx.signOutFile);

  // ---------------------------------------------------------------------------------------------
  // The emulator

  async function call(op: string, body: Json): Promise<Json> {
    const response = await fetch(ctx.emulatorUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${op}`,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let json: Json;
    try {
      json = text ? (JSON.parse(text) as Json) : {};
    } catch {
      throw new CognitoApiError('InternalErrorException', `cognito-local answered ${response.status}`, 500);
    }
    if (response.ok) return json;
    const type = typeof json.__type === 'string' ? json.__type : 'InternalErrorException';
    const message =
      typeof json.message === 'string' ? json.message : `cognito-local answered ${response.status}`;
    throw new CognitoApiError(type, message, response.status >= 500 ? 500 : 400);
  }

  async function getUser(username: unknown): Promise<EmulatorUser | null> {
    if (typeof username !== 'string' || !username) return null;
    try {
      return (await call('AdminGetUser', {
        UserPoolId: ctx.userPoolId,
        Username: username,
      })) as unknown as EmulatorUser;
    } catch (error) {
      if (error instanceof CognitoApiError && error.type === 'UserNotFoundException') return null;
      throw error;
    }
  }

  const attributesOf = (user: EmulatorUser | null): Record<string, string> =>
    Object.fromEntries((user?.UserAttributes ?? []).map((a) => [a.Name, a.Value ?? '']));

  async function trigger(
    name: TriggerName,
    user: EmulatorUser | null,
    username: string,
    clientId: unknown,
    extra: Json,
  ) {
    const event = {
      version: '1',
      region: 'local',
      userPoolId: ctx.userPoolId,
      userName: user?.Username ?? username,
      callerContext: {
        awsSdkVersion: 'parley-local',
        clientId: typeof clientId === 'string' ? clientId : ctx.clientId,
      },
      triggerSource: `${name}_Authentication`,
      request: { userAttributes: attributesOf(user), ...extra },
      response: {},
    };
    try {
      await ctx.invokeTrigger(name, event);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new CognitoApiError('UserLambdaValidationException', `${name} failed with error ${message}.`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Tokens

  function isSignedOut(sub: unknown, iat: unknown): boolean {
    if (typeof sub !== 'string' || typeof iat !== 'number') return false;
    const at = signedOut[sub];
    // iat has second precision: a token from the sign-out's own second counts as revoked.
    return at !== undefined && iat * 1000 <= at;
  }

  /** The emulator decodes access tokens without checking them; we check them as Cognito does. */
  function verifyAccessToken(token: unknown): Json {
    const claims = typeof token === 'string' ? verifyJwt(token, keys.publicKey) : null;
    if (!claims || claims.token_use !== 'access' || claims.iss !== issuer) {
      throw new CognitoApiError('NotAuthorizedException', 'Invalid Access Token');
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) {
      throw new CognitoApiError('NotAuthorizedException', 'Access Token has expired');
    }
    if (isSignedOut(claims.sub, claims.iat)) {
      throw new CognitoApiError('NotAuthorizedException', 'Access Token has been revoked');
    }
    return claims;
  }

  /**
   * Completes an AuthenticationResult as Cognito would: the group override of PreTokenGeneration
   * (the emulator ignores `groupOverrideDetails`), ExpiresIn and TokenType. Remembers challenges.
   */
  function finish(result: Json, sub: string | undefined): Json {
    if (typeof result.Session === 'string' && typeof result.ChallengeName === 'string' && sub) {
      sessions.set(result.Session, { sub, expiresAt: Date.now() + SESSION_TTL_MS });
    }
    const auth = result.AuthenticationResult as Json | undefined;
    if (!auth || typeof auth.AccessToken !== 'string') return result;
    const access = decodeJwt(auth.AccessToken) ?? {};
    const username = typeof access.username === 'string' ? access.username : sub;
    const override = username ? ctx.groupOverrides.get(username) : undefined;
    const next: Json = { ...auth };
    if (override && Date.now() - override.at < OVERRIDE_TTL_MS) {
      next.AccessToken = withGroups(auth.AccessToken, override.groups);
      if (typeof auth.IdToken === 'string') next.IdToken = withGroups(auth.IdToken, override.groups);
    }
    const exp = typeof access.exp === 'number' ? access.exp : undefined;
    const iat = typeof access.iat === 'number' ? access.iat : undefined;
    next.ExpiresIn = exp && iat ? exp - iat : 3600;
    next.TokenType = 'Bearer';
    const present = Object.entries(next).filter(([, value]) => value !== undefined && value !== null);
    return { ...result, AuthenticationResult: Object.fromEntries(present) };
  }

  function withGroups(token: string, groups: string[]): string {
    const claims = decodeJwt(token);
    if (!claims) return token;
    const current = Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'] : [];
    if (JSON.stringify(current) === JSON.stringify(groups)) return token;
    if (groups.length > 0) claims['cognito:groups'] = groups;
    else delete claims['cognito:groups'];
    return signJwt(claims, keys.privateKey);
  }

  function recordSignOut(sub: string) {
    signedOut[sub] = Date.now();
    writeFileSync(ctx.signOutFile, JSON.stringify(signedOut, null, 2));
  }

  // ---------------------------------------------------------------------------------------------
  // Sign-in flows

  async function passwordSignIn(op: 'InitiateAuth' | 'AdminInitiateAuth', body: Json): Promise<Json> {
    const params = { ...(body.AuthParameters as Json | undefined) };
    const username = normaliseUsername(params.USERNAME);
    if (typeof username !== 'string' || typeof params.PASSWORD !== 'string') return call(op, body);
    params.USERNAME = username;
    const user = await getUser(username);
    if (user && !user.Enabled) throw new CognitoApiError('NotAuthorizedException', 'User is disabled.');
    // With PreventUserExistenceErrors, Cognito runs the trigger for unknown names too.
    await trigger('PreAuthentication', user, username, body.ClientId, {
      validationData: body.ClientMetadata ?? undefined,
      ...(user ? {} : { userNotFound: true }),
    });
    if (!user) throw new CognitoApiError('NotAuthorizedException', WRONG_CREDENTIALS);

    const hasMfa = (user.UserMFASettingList ?? []).length > 0;
    // The emulator answers NEW_PASSWORD_REQUIRED before it compares the temporary password.
    if (user.UserStatus === 'FORCE_CHANGE_PASSWORD')
      await checkPassword(user, params.PASSWORD, body.ClientId);
    let result: Json;
    try {
      result = await call(op, { ...body, AuthParameters: params });
    } catch (error) {
      if (
        error instanceof CognitoApiError &&
        ['InvalidPasswordException', 'NotAuthorizedException'].includes(error.type)
      ) {
        throw new CognitoApiError('NotAuthorizedException', WRONG_CREDENTIALS);
      }
      throw error;
    }
    if (op === 'AdminInitiateAuth' && result.AuthenticationResult) {
      // The emulator's admin flow skips MFA and PostAuthentication. The password was right: ask for
      // the TOTP code as Cognito does (answered through RespondToAuthChallenge), or finish here.
      if (hasMfa) {
        return finish(
          {
            ChallengeName: 'SOFTWARE_TOKEN_MFA',
            ChallengeParameters: { USER_ID_FOR_SRP: user.Username },
            Session: randomUUID(),
          },
          user.Username,
        );
      }
      await trigger('PostAuthentication', user, username, body.ClientId, { newDeviceUsed: false });
    }
    return finish(result, user.Username);
  }

  /** Compares a password through the emulator's admin flow (which does), dropping its tokens. */
  async function checkPassword(user: EmulatorUser, password: string, clientId: unknown): Promise<void> {
    try {
      const result = await call('AdminInitiateAuth', {
        UserPoolId: ctx.userPoolId,
        ClientId: clientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: user.Username, PASSWORD: password },
      });
      const refreshToken = (result.AuthenticationResult as Json | undefined)?.RefreshToken;
      if (typeof refreshToken === 'string') {
        await call('RevokeToken', { ClientId: clientId, Token: refreshToken }).catch(() => undefined);
      }
    } catch (error) {
      if (error instanceof CognitoApiError && error.status < 500) {
        throw new CognitoApiError('NotAuthorizedException', WRONG_CREDENTIALS);
      }
      throw error;
    }
  }

  async function refresh(op: 'InitiateAuth' | 'AdminInitiateAuth', body: Json): Promise<Json> {
    const params = (body.AuthParameters as Json | undefined) ?? {};
    const token = params.REFRESH_TOKEN;
    const claims = typeof token === 'string' ? verifyJwt(token, keys.publicKey) : null;
    if (!claims) throw new CognitoApiError('NotAuthorizedException', 'Invalid Refresh Token');
    const user = await getUser(claims['cognito:username']);
    if (!user) throw new CognitoApiError('NotAuthorizedException', 'Invalid Refresh Token');
    if (isSignedOut(user.Username, claims.iat)) {
      throw new CognitoApiError('NotAuthorizedException', 'Refresh Token has been revoked');
    }
    if (!user.Enabled) throw new CognitoApiError('NotAuthorizedException', 'User is disabled.');
    try {
      return finish(await call(op, body), user.Username);
    } catch (error) {
      if (error instanceof CognitoApiError && error.type === 'NotAuthorizedException') {
        throw new CognitoApiError('NotAuthorizedException', 'Refresh Token has been revoked');
      }
      throw error;
    }
  }

  async function respondToChallenge(body: Json): Promise<Json> {
    const responses = { ...(body.ChallengeResponses as Json | undefined) };
    responses.USERNAME = normaliseUsername(responses.USERNAME);
    const session = typeof body.Session === 'string' ? sessions.get(body.Session) : undefined;
    const user = await getUser(responses.USERNAME);
    // The emulator checks no session: without this, a TOTP code alone (no password) would sign in.
    if (!session || session.expiresAt < Date.now() || !user || user.Username !== session.sub) {
      throw new CognitoApiError(
        'NotAuthorizedException',
        'Invalid session for the user, session is expired.',
      );
    }
    if (!user.Enabled) throw new CognitoApiError('NotAuthorizedException', 'User is disabled.');
    if (body.ChallengeName === 'NEW_PASSWORD_REQUIRED') assertPasswordPolicy(responses.NEW_PASSWORD);
    const result = await call('RespondToAuthChallenge', { ...body, ChallengeResponses: responses });
    if (typeof body.Session === 'string') sessions.delete(body.Session);
    return finish(result, user.Username);
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  const withPassword = (field: string) => async (op: string, body: Json) => {
    assertPasswordPolicy(body[field]);
    return call(op, body);
  };

  async function userOrThrow(username: unknown): Promise<EmulatorUser> {
    const user = await getUser(username);
    if (!user) throw new CognitoApiError('UserNotFoundException', 'User does not exist.');
    return user;
  }

  const operations: Record<string, (op: string, body: Json) => Promise<Json>> = {
    async InitiateAuth(op, body) {
      if (body.AuthFlow === 'USER_PASSWORD_AUTH') return passwordSignIn('InitiateAuth', body);
      if (body.AuthFlow === 'REFRESH_TOKEN_AUTH' || body.AuthFlow === 'REFRESH_TOKEN')
        return refresh('InitiateAuth', body);
      return call(op, body);
    },
    async AdminInitiateAuth(op, body) {
      if (body.AuthFlow === 'ADMIN_USER_PASSWORD_AUTH' || body.AuthFlow === 'ADMIN_NO_SRP_AUTH') {
        return passwordSignIn('AdminInitiateAuth', { ...body, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH' });
      }
      if (body.AuthFlow === 'REFRESH_TOKEN_AUTH' || body.AuthFlow === 'REFRESH_TOKEN')
        return refresh('AdminInitiateAuth', body);
      return call(op, body);
    },
    RespondToAuthChallenge: (_op, body) => respondToChallenge(body),
    // The emulator has no admin variant; the client flow checks the same things.
    AdminRespondToAuthChallenge: (_op, body) => {
      const { UserPoolId: _pool, ContextData: _context, ...rest } = body;
      return respondToChallenge(rest);
    },
    async GetTokensFromRefreshToken(_op, body) {
      const result = await refresh('InitiateAuth', {
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        ClientId: body.ClientId,
        AuthParameters: { REFRESH_TOKEN: body.RefreshToken },
        ClientMetadata: body.ClientMetadata,
      });
      // Refresh-token rotation is off: no new refresh token, as Cognito answers then.
      return { AuthenticationResult: result.AuthenticationResult };
    },

    async AdminCreateUser(op, body) {
      const next: Json = { ...body };
      if (body.TemporaryPassword === undefined) next.TemporaryPassword = generateTemporaryPassword();
      else assertPasswordPolicy(body.TemporaryPassword);
      next.UserAttributes = (
        (body.UserAttributes as { Name: string; Value?: string }[] | undefined) ?? []
      ).map((a) => (a.Name === 'email' ? { ...a, Value: normaliseUsername(a.Value) } : a));
      return call(op, next);
    },
    AdminSetUserPassword: withPassword('Password'),
    ConfirmForgotPassword: withPassword('Password'),
    SignUp: withPassword('Password'),
    async ChangePassword(op, body) {
      assertPasswordPolicy(body.ProposedPassword);
      try {
        return await call(op, body);
      } catch (error) {
        if (error instanceof CognitoApiError && error.type === 'InvalidPasswordException') {
          throw new CognitoApiError('NotAuthorizedException', WRONG_CREDENTIALS);
        }
        throw error;
      }
    },

    async GlobalSignOut(_op, body) {
      const claims = verifyAccessToken(body.AccessToken);
      recordSignOut(String(claims.username ?? claims.sub));
      return {};
    },
    async AdminUserGlobalSignOut(_op, body) {
      recordSignOut((await userOrThrow(body.Username)).Username);
      return {};
    },
    async AdminSetUserMFAPreference(_op, body) {
      const user = await userOrThrow(body.Username);
      const sub = attributesOf(user).sub ?? user.Username;
      // The emulator only has the user-side call, which reads (without verifying) client_id and sub
      // from an access token: hand it one directly, never through the proxy's checks.
      const token = `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify({ client_id: ctx.clientId, sub }))}.`;
      await call('SetUserMFAPreference', {
        AccessToken: token,
        SMSMfaSettings: body.SMSMfaSettings,
        SoftwareTokenMfaSettings: body.SoftwareTokenMfaSettings,
      });
      return {};
    },
    async AdminResetUserPassword(_op, body) {
      // Closest the emulator has: a reset code (printed in its log). The old password keeps working
      // until the reset is confirmed (Cognito would refuse it at once).
      await userOrThrow(body.Username);
      await call('ForgotPassword', { ClientId: ctx.clientId, Username: body.Username });
      return {};
    },
    async AdminListGroupsForUser(op, body) {
      // The emulator matches group members by exact user name only.
      const user = await userOrThrow(body.Username);
      return call(op, { ...body, Username: user.Username });
    },
    async ListUsers(op, body) {
      const { Limit, PaginationToken, Filter, ...rest } = body;
      const status =
        typeof Filter === 'string' ? /^\s*status\s*=\s*"(Enabled|Disabled)"\s*$/i.exec(Filter) : null;
      const result = await call(op, status ? rest : { ...rest, Filter });
      let users = (result.Users as { Enabled?: boolean }[] | undefined) ?? [];
      if (status) users = users.filter((u) => u.Enabled === (status[1]?.toLowerCase() === 'enabled'));
      const offset =
        typeof PaginationToken === 'string'
          ? Number(Buffer.from(PaginationToken, 'base64url').toString()) || 0
          : 0;
      const limit = typeof Limit === 'number' && Limit > 0 ? Math.min(Limit, 60) : 60;
      const page = users.slice(offset, offset + limit);
      const more = offset + limit < users.length;
      return {
        ...result,
        Users: page,
        ...(more ? { PaginationToken: Buffer.from(String(offset + limit)).toString('base64url') } : {}),
      };
    },
  };

  async function dispatch(op: string, body: Json): Promise<Json> {
    for (const key of ['Username'] as const) if (key in body) body[key] = normaliseUsername(body[key]);
    if ('AccessToken' in body && op !== 'RevokeToken') verifyAccessToken(body.AccessToken);
    const handler = operations[op];
    return handler ? handler(op, body) : call(op, body);
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP

  function cors(req: IncomingMessage, res: ServerResponse) {
    res.setHeader('Vary', 'Origin');
    if (req.headers.origin === ctx.webOrigin) {
      res.setHeader('Access-Control-Allow-Origin', ctx.webOrigin);
      res.setHeader(
        'Access-Control-Expose-Headers',
        'x-amzn-requestid, x-amzn-errortype, x-amzn-errormessage, date',
      );
    }
  }

  function send(res: ServerResponse, status: number, body: unknown, type = 'application/x-amz-json-1.1') {
    res.statusCode = status;
    res.setHeader('content-type', type);
    res.setHeader('x-amzn-requestid', randomUUID());
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  function sendError(res: ServerResponse, error: CognitoApiError) {
    res.setHeader('x-amzn-errortype', `${error.type}:`);
    res.setHeader('x-amzn-errormessage', error.message);
    send(res, error.status, { __type: error.type, message: error.message });
  }

  async function forwardRaw(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const upstream = await fetch(new URL(req.url ?? '/', ctx.emulatorUrl), {
      method: req.method,
      headers: req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {},
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    });
    res.statusCode = upstream.status;
    const type = upstream.headers.get('content-type');
    if (type) res.setHeader('content-type', type);
    const location = upstream.headers.get('location');
    if (location) res.setHeader('location', location);
    res.end(Buffer.from(await upstream.arrayBuffer()));
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      cors(req, res);
      if (req.method === 'OPTIONS') {
        if (req.headers.origin !== ctx.webOrigin) {
          res.statusCode = 403;
          res.end();
          return;
        }
        res.statusCode = 204;
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', PREFLIGHT_HEADERS);
        res.setHeader('Access-Control-Max-Age', '600');
        res.end();
        return;
      }
      const path = new URL(req.url ?? '/', ctx.endpoint).pathname;
      if (req.method === 'GET' && path === `/${ctx.userPoolId}/.well-known/openid-configuration`) {
        send(
          res,
          200,
          {
            issuer,
            jwks_uri: `${issuer}/.well-known/jwks.json`,
            token_endpoint: `${ctx.endpoint}/oauth2/token`,
            authorization_endpoint: `${ctx.endpoint}/oauth2/authorize`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
          },
          'application/json',
        );
        return;
      }
      const body = await readBody(req);
      const target = req.headers['x-amz-target'];
      if (req.method !== 'POST' || path !== '/' || typeof target !== 'string') {
        await forwardRaw(req, res, body);
        return;
      }
      const op = target.split('.')[1] ?? '';
      let json: Json;
      try {
        json = body.length ? (JSON.parse(body.toString('utf8')) as Json) : {};
      } catch {
        throw new CognitoApiError('SerializationException', 'The request body is not valid JSON.');
      }
      send(res, 200, await dispatch(op, json));
    } catch (error) {
      if (error instanceof CognitoApiError) sendError(res, error);
      else
        sendError(
          res,
          new CognitoApiError('InternalErrorException', (error as Error)?.message ?? 'Internal error', 500),
        );
    }
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new CognitoApiError('InvalidParameterException', 'Request body too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function readSignOuts(file: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}
