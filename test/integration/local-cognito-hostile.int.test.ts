import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminResetUserPasswordCommand,
  AdminSetUserMFAPreferenceCommand,
  AdminSetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { startLocalCognito, type LocalCognito, type TriggerName } from '../../bin/local/cognito';
import { freePort } from '../../bin/local/free-port';
import { totpCode } from '../../bin/local/users';

/**
 * The local Cognito as a person signing in, or someone attacking it, sees it: the exact status and
 * error a client gets for wrong, missing, malformed, oversized and hostile input, for disabled and
 * unknown users, for spent or expired sign-in sessions, and what the trigger endpoint answers the
 * emulator. The triggers here are stand-ins that record their events (the real ones are covered in
 * local-cognito.int.test.ts).
 */
const WEB_ORIGIN = 'http://localhost:5173';
const PASSWORD = 'Correct-Horse-42';
const dataDir = mkdtempSync(join(tmpdir(), 'parley-cognito-hostile-'));
let cognito: LocalCognito;

/** What the stand-in triggers saw, what they throw for a user (by e-mail), and group overrides. */
const triggerCalls: { name: TriggerName; event: TriggerEvent }[] = [];
const throwFor = new Map<string, unknown>();
const groupsFor = new Map<string, string[]>();
interface TriggerEvent {
  userName?: string;
  callerContext?: { clientId?: string };
  request?: { userAttributes?: Record<string, string>; userNotFound?: boolean };
}

async function invokeTrigger(name: TriggerName, event: unknown): Promise<unknown> {
  const e = event as TriggerEvent;
  triggerCalls.push({ name, event: e });
  const email = e.request?.userAttributes?.email ?? e.userName ?? '';
  if (throwFor.has(email)) throw throwFor.get(email);
  const groups = groupsFor.get(email);
  if (name === 'PreTokenGeneration' && groups) {
    // The pool's trigger is V2_0: the answer goes in claimsAndScopeOverrideDetails.
    return {
      ...e,
      response: { claimsAndScopeOverrideDetails: { groupOverrideDetails: { groupsToOverride: groups } } },
    };
  }
  return name === 'PostConfirmation' ? undefined : event;
}

/** How far ahead of the real clock the local Cognito's clock runs (for lifetimes of days). */
let clockAhead = 0;

const start = (options: { mfa: 'REQUIRED' | 'OPTIONAL'; port?: number; quiet?: boolean }) =>
  startLocalCognito({
    dataDir,
    webOrigin: WEB_ORIGIN,
    invokeTrigger,
    quiet: true,
    now: () => Date.now() + clockAhead,
    ...options,
  });

beforeAll(async () => {
  cognito = await start({ mfa: 'OPTIONAL' });
});

afterAll(async () => {
  await cognito?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** cognito-local's own configuration: its port and our trigger endpoint's. */
function emulatorConfig(dir = dataDir) {
  const config = JSON.parse(readFileSync(join(dir, '.cognito', 'config.json'), 'utf8')) as {
    ServerConfig: { port: number };
    LambdaClient: { endpoint: string };
  };
  return {
    emulatorUrl: `http://127.0.0.1:${config.ServerConfig.port}`,
    lambdaUrl: config.LambdaClient.endpoint,
  };
}

interface Answer {
  status: number;
  errorType: string | null;
  body: Record<string, unknown>;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  return {
    status: response.status,
    errorType: response.headers.get('x-amzn-errortype'),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** A call as Amplify makes it from the browser: unsigned, `body` sent as it is. */
async function send(
  target: string | undefined,
  body: string | Buffer,
  init: { method?: string; path?: string; to?: string } = {},
): Promise<Answer> {
  const response = await fetch(`${init.to ?? cognito.endpoint}${init.path ?? '/'}`, {
    method: init.method ?? 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      ...(target === undefined ? {} : { 'x-amz-target': target }),
    },
    body,
  });
  return answerOf(response);
}

const call = (op: string, body: Record<string, unknown>, to?: string) =>
  send(`AWSCognitoIdentityProviderService.${op}`, JSON.stringify(body), { to });

const error = (type: string, message: string) => ({
  status: 400,
  errorType: `${type}:`,
  body: { __type: type, message },
});
const WRONG = error('NotAuthorizedException', 'Incorrect username or password.');
const INVALID_SESSION = error('NotAuthorizedException', 'Invalid session for the user, session is expired.');

const signIn = (email: string, password: string = PASSWORD, extra: Record<string, unknown> = {}) =>
  call('InitiateAuth', {
    ClientId: cognito.clientId,
    AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: email, PASSWORD: password },
    ...extra,
  });

/** A signed-up user with a permanent password (and TOTP set up when `totp`). */
async function newUser(tag: string, options: { totp?: boolean } = {}) {
  const email = `${tag}-${randomUUID().slice(0, 8)}@example.test`;
  const pool = { UserPoolId: cognito.userPoolId };
  await cognito.admin.send(
    new AdminCreateUserCommand({
      ...pool,
      Username: email,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: email },
        { Name: 'email_verified', Value: 'true' },
      ],
    }),
  );
  await cognito.admin.send(
    new AdminSetUserPasswordCommand({ ...pool, Username: email, Password: PASSWORD, Permanent: true }),
  );
  const user = await cognito.admin.send(new AdminGetUserCommand({ ...pool, Username: email }));
  const sub = user.UserAttributes?.find((a) => a.Name === 'sub')?.Value ?? '';
  if (!options.totp) return { email, sub, secret: undefined };
  const tokens = (await signIn(email)).body.AuthenticationResult as { AccessToken: string };
  const { SecretCode } = (await call('AssociateSoftwareToken', { AccessToken: tokens.AccessToken })).body as {
    SecretCode: string;
  };
  await call('VerifySoftwareToken', { AccessToken: tokens.AccessToken, UserCode: totpCode(SecretCode) });
  await call('SetUserMFAPreference', {
    AccessToken: tokens.AccessToken,
    SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
  });
  return { email, sub, secret: SecretCode };
}

/** Cognito's AdminDisableUser, made on the emulator itself (the proxy lets no caller make it). */
async function disable(email: string) {
  const answer = await call(
    'AdminDisableUser',
    { UserPoolId: cognito.userPoolId, Username: email },
    emulatorConfig().emulatorUrl,
  );
  expect(answer.status).toBe(200);
}

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (caught) {
    const { name, message } = caught as Error;
    return { name, message };
  }
  throw new Error('expected a failure');
}

/** Runs `fn` with the local server's clock `ms` ahead (the emulator's is left alone). */
async function later<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const now = Date.now();
  const spy = vi.spyOn(Date, 'now').mockReturnValue(now + ms);
  try {
    return await fn();
  } finally {
    spy.mockRestore();
  }
}

describe('requests the local Cognito refuses before any operation', () => {
  it('answers a body that is not JSON with SerializationException', async () => {
    expect(await send('AWSCognitoIdentityProviderService.InitiateAuth', '{"AuthFlow":')).toEqual(
      error('SerializationException', 'The request body is not valid JSON.'),
    );
  });

  it.each(['null', '[]', '42', '"InitiateAuth"'])(
    'answers the body %s, no JSON object, with SerializationException',
    async (body) => {
      expect(await send('AWSCognitoIdentityProviderService.InitiateAuth', body)).toEqual(
        error('SerializationException', 'The request body is not a JSON object.'),
      );
    },
  );

  it.each([
    [
      'a number as the user name',
      { AuthParameters: { USERNAME: 42, PASSWORD: 'x' } },
      'AuthParameters.USERNAME must be a string.',
    ],
    [
      'a boolean as the password',
      { AuthParameters: { USERNAME: 'a@b.c', PASSWORD: true } },
      'AuthParameters.PASSWORD must be a string.',
    ],
    [
      'a list as the user name',
      { AuthParameters: { USERNAME: ['a'] } },
      'AuthParameters.USERNAME must be a string.',
    ],
    [
      'an object in the client metadata',
      { ClientMetadata: { origin: {} } },
      'ClientMetadata.origin must be a string.',
    ],
    [
      'a list as the parameters',
      { AuthParameters: ['USERNAME'] },
      'AuthParameters must be a map of strings.',
    ],
    [
      'a string as the challenge responses',
      { ChallengeResponses: 'x' },
      'ChallengeResponses must be a map of strings.',
    ],
  ])(
    'answers %s with SerializationException naming the field, as Cognito does',
    async (_what, fields, message) => {
      const body = JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: cognito.clientId, ...fields });
      expect(await send('AWSCognitoIdentityProviderService.InitiateAuth', body)).toEqual(
        error('SerializationException', message),
      );
    },
  );

  it.each([
    ['no X-Amz-Target', undefined, {}],
    ['a PUT', 'AWSCognitoIdentityProviderService.InitiateAuth', { method: 'PUT' }],
    ['another path', 'AWSCognitoIdentityProviderService.InitiateAuth', { path: '/local_pool/oauth2' }],
  ])('answers a request with %s as an unknown operation', async (_what, target, init) => {
    expect(await send(target, '{}', init)).toEqual(error('UnknownOperationException', 'Unknown operation.'));
  });

  it('reads an empty body as an empty request', async () => {
    expect(await send('AWSCognitoIdentityProviderService.InitiateAuth', '')).toEqual(
      error('ResourceNotFoundException', 'App Client undefined not found'),
    );
  });

  it('treats a target without the service prefix as no user call', async () => {
    expect(await send('InitiateAuth', '{}')).toEqual(
      error('MissingAuthenticationTokenException', 'Missing Authentication Token'),
    );
  });

  it('refuses a body over 1 MiB', async () => {
    const body = Buffer.from(JSON.stringify({ ClientId: 'x'.repeat(1024 * 1024 + 1) }));
    expect(await send('AWSCognitoIdentityProviderService.InitiateAuth', body)).toEqual(
      error('InvalidParameterException', 'Request body too large.'),
    );
  });

  it('passes reads (health, keys) through to the emulator, and its not-found too', async () => {
    const health = await fetch(`${cognito.endpoint}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const keys = (await (await fetch(cognito.jwksUri)).json()) as { keys: { kid: string }[] };
    expect(keys.keys.map((k) => k.kid)).toEqual(['CognitoLocal']);
    expect((await fetch(`${cognito.endpoint}/nothing-here`)).status).toBe(404);
  });

  it.each([
    [
      'a JSON key with a line break',
      { ClientMetadata: { 'a\nb': 1 } },
      'SerializationException',
      'ClientMetadata.a\nb must be a string.',
      'ClientMetadata.a?b must be a string.',
    ],
    [
      'an app client id beyond Latin-1',
      { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: '日本' },
      'ResourceNotFoundException',
      'App Client 日本 not found',
      'App Client ?? not found',
    ],
  ])(
    'answers %s, which its error message repeats, as a 400 and keeps answering',
    async (_what, fields, type, message, headerMessage) => {
      // Prepare: a message that holds the caller's text, which no HTTP header may carry as it is.
      const body = JSON.stringify(fields);

      // Act
      const response = await fetch(cognito.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
        },
        body,
      });

      // Assess: the usual error, the header's copy of the message reduced to printable ASCII,
      // and the endpoint still up for the next caller.
      expect(response.headers.get('x-amzn-errormessage')).toBe(headerMessage);
      expect(await answerOf(response)).toEqual(error(type, message));
      expect(await send('AWSCognitoIdentityProviderService.InitiateAuth', '{"AuthFlow":')).toEqual(
        error('SerializationException', 'The request body is not valid JSON.'),
      );
    },
  );

  it('answers its own failure as an internal error, keeping the details in the log', async () => {
    const { email } = await newUser('broken');
    const { AccessToken } = (await signIn(email)).body.AuthenticationResult as { AccessToken: string };
    // The global sign-out cannot be kept: a folder stands where its file goes.
    mkdirSync(join(dataDir, 'signed-out.json'));
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await call('GlobalSignOut', { AccessToken })).toEqual({
        status: 500,
        errorType: 'InternalErrorException:',
        body: { __type: 'InternalErrorException', message: 'Internal error' },
      });
    } finally {
      rmSync(join(dataDir, 'signed-out.json'), { recursive: true });
    }
    expect(logged).toHaveBeenCalledWith('Local Cognito endpoint error', {
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      error: expect.objectContaining({ code: 'EISDIR' }),
    });
  });
});

describe('signing in with a password', () => {
  it('answers an unknown user like a wrong password, after running PreAuthentication for it', async () => {
    const email = `nobody-${randomUUID().slice(0, 8)}@example.test`;
    expect(await signIn(email)).toEqual(WRONG);
    expect(triggerCalls.at(-1)).toMatchObject({
      name: 'PreAuthentication',
      event: { userName: email, request: { userNotFound: true } },
    });
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'finds no user named %s (the emulator keeps users in a plain object)',
    async (name) => {
      expect(await signIn(name)).toEqual(WRONG);
      expect(await signIn(`${name}@example.test`)).toEqual(WRONG);
    },
  );

  it('finds no user for a name with a NUL byte in it', async () => {
    const { email } = await newUser('nul');
    expect(await signIn(`${email}\u0000`)).toEqual(WRONG);
    expect(await signIn(email.replace('@', '\u0000@'))).toEqual(WRONG);
  });

  it('answers a wrong password on the admin flow like one on the app flow', async () => {
    const { email } = await newUser('admin-wrong');
    const answer = await failure(
      cognito.admin.send(
        new AdminInitiateAuthCommand({
          UserPoolId: cognito.userPoolId,
          ClientId: cognito.clientId,
          AuthFlow: 'ADMIN_NO_SRP_AUTH',
          AuthParameters: { USERNAME: email, PASSWORD: 'Wrong-Password-1' },
        }),
      ),
    );
    expect(answer).toEqual({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
  });

  it('signs in on the admin flow without MFA, running PostAuthentication as Cognito does', async () => {
    const { email, sub } = await newUser('admin-flow');
    const result = await cognito.admin.send(
      new AdminInitiateAuthCommand({
        UserPoolId: cognito.userPoolId,
        ClientId: cognito.clientId,
        AuthFlow: 'ADMIN_NO_SRP_AUTH',
        AuthParameters: { USERNAME: email.toUpperCase(), PASSWORD },
      }),
    );
    expect(result.AuthenticationResult).toMatchObject({ TokenType: 'Bearer', ExpiresIn: 3600 });
    expect(
      triggerCalls.filter((c) => c.name === 'PostAuthentication' && c.event.userName === sub),
    ).toHaveLength(1);
  });

  it('refuses a user disabled in Cognito, even with the right password', async () => {
    const { email } = await newUser('disabled');
    await disable(email);
    expect(await signIn(email)).toEqual(error('NotAuthorizedException', 'User is disabled.'));
  });

  it('answers a PreAuthentication failure as UserLambdaValidationException, whatever it threw', async () => {
    const { email } = await newUser('blocked');
    throwFor.set(email, 'blocked for the test');
    expect(await signIn(email, PASSWORD, { ClientId: 42 })).toEqual(
      error('UserLambdaValidationException', 'PreAuthentication failed with error blocked for the test.'),
    );
    // A client id of the wrong type reaches the trigger as the app client's.
    expect(triggerCalls.at(-1)?.event.callerContext?.clientId).toBe(cognito.clientId);
    throwFor.set(email, new RangeError('too many attempts'));
    expect(await signIn(email)).toEqual(
      error('UserLambdaValidationException', 'PreAuthentication failed with error too many attempts.'),
    );
    throwFor.delete(email);
  });

  it('puts the groups PreTokenGeneration chose in the access and ID tokens', async () => {
    const { email } = await newUser('override');
    groupsFor.set(email, ['auditors']);
    const tokens = (await signIn(email)).body.AuthenticationResult as Record<string, string>;
    groupsFor.delete(email);
    const claims = (token: string | undefined) =>
      JSON.parse(Buffer.from(String(token).split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
    expect(claims(tokens.AccessToken)['cognito:groups']).toEqual(['auditors']);
    expect(claims(tokens.IdToken)['cognito:groups']).toEqual(['auditors']);
    expect((await call('GetUser', { AccessToken: tokens.AccessToken })).status).toBe(200);
  });

  it('answers a sign-in without its user name or password as Cognito does, before any trigger runs', async () => {
    const auth = { ClientId: cognito.clientId, AuthFlow: 'USER_PASSWORD_AUTH' };
    expect(await call('InitiateAuth', { ...auth, AuthParameters: { USERNAME: null, PASSWORD } })).toEqual(
      error('InvalidParameterException', 'Missing required parameter USERNAME'),
    );
    expect(await call('InitiateAuth', { ...auth, AuthParameters: { PASSWORD } })).toEqual(
      error('InvalidParameterException', 'Missing required parameter USERNAME'),
    );
    expect(await call('InitiateAuth', { ...auth, AuthParameters: { USERNAME: 'a@example.test' } })).toEqual(
      error('InvalidParameterException', 'Missing required parameter PASSWORD'),
    );
    expect(
      await failure(
        cognito.admin.send(
          new AdminInitiateAuthCommand({
            UserPoolId: cognito.userPoolId,
            ClientId: cognito.clientId,
            AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
            // What a client library never sends and an attacker may.
            AuthParameters: { USERNAME: 'a@example.test', PASSWORD: null as unknown as string },
          }),
        ),
      ),
    ).toEqual({ name: 'InvalidParameterException', message: 'Missing required parameter PASSWORD' });
    expect(await call('InitiateAuth', auth)).toEqual(
      error('InvalidParameterException', 'Missing required parameter authParameters'),
    );
    expect(await call('InitiateAuth', {})).toEqual(
      error('ResourceNotFoundException', 'App Client undefined not found'),
    );
    expect(triggerCalls.filter((c) => c.event.userName === 'a@example.test')).toEqual([]);
  });

  it('answers SRP (which the emulator lacks) as a 400 naming it, never a 5xx: the local app signs in with USER_PASSWORD_AUTH', async () => {
    const srp = {
      ClientId: cognito.clientId,
      AuthFlow: 'USER_SRP_AUTH',
      AuthParameters: { USERNAME: 'a@example.test', SRP_A: '1' },
    };
    expect(await call('InitiateAuth', srp)).toEqual(
      error(
        'InvalidParameterException',
        'Not supported by the local stack: Cognito Local unsupported feature: InitAuth with AuthFlow=USER_SRP_AUTH',
      ),
    );
  });

  it("answers a password over the emulator's body limit as InvalidParameterException", async () => {
    const { email } = await newUser('long-password');
    expect(await signIn(email, `${PASSWORD}${'x'.repeat(200 * 1024)}`)).toEqual(
      error('InvalidParameterException', 'The request is too large.'),
    );
  });
});

describe('refreshing tokens', () => {
  const refresh = (token: unknown, extra: Record<string, unknown> = {}) =>
    call('InitiateAuth', {
      ClientId: cognito.clientId,
      AuthFlow: 'REFRESH_TOKEN',
      AuthParameters: { REFRESH_TOKEN: token },
      ...extra,
    });
  const INVALID = error('NotAuthorizedException', 'Invalid Refresh Token');

  async function refreshTokenOf(email: string) {
    return ((await signIn(email)).body.AuthenticationResult as { RefreshToken: string }).RefreshToken;
  }

  it('gives new tokens for a refresh token, on the app and the admin flow', async () => {
    const { email } = await newUser('refresh');
    const token = await refreshTokenOf(email);
    expect((await refresh(token)).body.AuthenticationResult).toMatchObject({
      AccessToken: expect.any(String),
    });
    const admin = await cognito.admin.send(
      new AdminInitiateAuthCommand({
        UserPoolId: cognito.userPoolId,
        ClientId: cognito.clientId,
        AuthFlow: 'REFRESH_TOKEN',
        AuthParameters: { REFRESH_TOKEN: token },
      }),
    );
    expect(admin.AuthenticationResult?.AccessToken).toBeDefined();
  });

  it('refuses a made-up refresh token', async () => {
    expect(await refresh('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).toEqual(INVALID);
  });

  it.each([undefined, null])(
    'answers a refresh token %s as a missing parameter, as Cognito does',
    async (token) => {
      expect(await refresh(token)).toEqual(
        error('InvalidParameterException', 'Missing required parameter REFRESH_TOKEN'),
      );
    },
  );

  it('refuses a refresh token of the wrong type before any operation, as Cognito does', async () => {
    expect(await refresh(['token'])).toEqual(
      error('SerializationException', 'AuthParameters.REFRESH_TOKEN must be a string.'),
    );
  });

  it('refuses a refresh with no parameters at all', async () => {
    expect(
      await call('InitiateAuth', { ClientId: cognito.clientId, AuthFlow: 'REFRESH_TOKEN_AUTH' }),
    ).toEqual(INVALID);
  });

  it('refuses the refresh token of a deleted user', async () => {
    const { email } = await newUser('deleted');
    const token = await refreshTokenOf(email);
    await cognito.admin.send(new AdminDeleteUserCommand({ UserPoolId: cognito.userPoolId, Username: email }));
    expect(await refresh(token)).toEqual(INVALID);
  });

  it('refuses the refresh token of a user disabled since', async () => {
    const { email } = await newUser('disabled-refresh');
    const token = await refreshTokenOf(email);
    await disable(email);
    expect(await refresh(token)).toEqual(error('NotAuthorizedException', 'User is disabled.'));
  });

  it('refuses a revoked refresh token, and passes on what the emulator says of another app client', async () => {
    const { email } = await newUser('revoked');
    const token = await refreshTokenOf(email);
    const other = await refresh(token, { ClientId: 'another-client' });
    expect(other).toEqual(error('ResourceNotFoundException', 'App Client another-client not found'));
    expect((await call('RevokeToken', { ClientId: cognito.clientId, Token: token })).status).toBe(200);
    expect(await refresh(token)).toEqual(error('NotAuthorizedException', 'Refresh Token has been revoked'));
  });
});

describe('answering the TOTP challenge', () => {
  async function challenge() {
    const user = await newUser('totp', { totp: true });
    const first = await signIn(user.email);
    expect(first.body.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
    return { ...user, session: String(first.body.Session), code: totpCode(String(user.secret)) };
  }
  const respond = (email: string, session: unknown, code: string, challengeName = 'SOFTWARE_TOKEN_MFA') =>
    call('RespondToAuthChallenge', {
      ClientId: cognito.clientId,
      ChallengeName: challengeName,
      ...(session === undefined ? {} : { Session: session }),
      ChallengeResponses: { USERNAME: email, SOFTWARE_TOKEN_MFA_CODE: code },
    });

  it('answers a code without its user name as Cognito does, and does not spend the session', async () => {
    const { email, session, code } = await challenge();
    const answer = (responses: Record<string, unknown>) =>
      call('RespondToAuthChallenge', {
        ClientId: cognito.clientId,
        ChallengeName: 'SOFTWARE_TOKEN_MFA',
        Session: session,
        ChallengeResponses: responses,
      });
    const missing = error('InvalidParameterException', 'Missing required parameter USERNAME');
    expect(await answer({ SOFTWARE_TOKEN_MFA_CODE: code })).toEqual(missing);
    expect(await answer({ USERNAME: null, SOFTWARE_TOKEN_MFA_CODE: code })).toEqual(missing);
    expect(await answer({ username: email, SOFTWARE_TOKEN_MFA_CODE: code })).toEqual(missing);
    expect((await respond(email, session, code)).body.AuthenticationResult).toMatchObject({
      AccessToken: expect.any(String),
    });
  });

  it('refuses a code without the session of a password sign-in', async () => {
    const { email, code } = await challenge();
    expect(await respond(email, undefined, code)).toEqual(INVALID_SESSION);
    expect(await respond(email, 42, code)).toEqual(INVALID_SESSION);
  });

  it("refuses one user's session for another user, or for nobody", async () => {
    const { session, code } = await challenge();
    const other = await newUser('other');
    expect(await respond(other.email, session, code)).toEqual(INVALID_SESSION);
    expect(await respond('__proto__', session, code)).toEqual(INVALID_SESSION);
    expect(await respond(`nobody-${randomUUID()}@example.test`, session, code)).toEqual(INVALID_SESSION);
  });

  it('refuses a session older than 3 minutes, and an MFA_SETUP answer to a code challenge', async () => {
    const { email, session, code } = await challenge();
    expect(await later(3 * 60_000 + 1_000, () => respond(email, session, code))).toEqual(INVALID_SESSION);
    expect(await respond(email, session, code, 'MFA_SETUP')).toEqual(INVALID_SESSION);
    // Neither spent the session: the right answer in time still signs in.
    expect((await respond(email, session, code)).body.AuthenticationResult).toMatchObject({
      AccessToken: expect.any(String),
    });
    expect(await respond(email, session, code)).toEqual(INVALID_SESSION);
  });

  it('refuses a user disabled between the password and the code', async () => {
    const { email, session, code } = await challenge();
    await disable(email);
    expect(await respond(email, session, code)).toEqual(error('NotAuthorizedException', 'User is disabled.'));
  });

  it('refuses a set-up step (AssociateSoftwareToken, VerifySoftwareToken) for a code challenge session', async () => {
    const { session } = await challenge();
    expect(await call('AssociateSoftwareToken', { Session: session })).toEqual(INVALID_SESSION);
    expect(await call('VerifySoftwareToken', { Session: session, UserCode: '123456' })).toEqual(
      INVALID_SESSION,
    );
    expect(await call('AssociateSoftwareToken', {})).toEqual(INVALID_SESSION);
    expect(await call('VerifySoftwareToken', { UserCode: '123456' })).toEqual(INVALID_SESSION);
  });
});

describe('operations the proxy answers or amends', () => {
  const pool = () => ({ UserPoolId: cognito.userPoolId });

  it('answers a wrong current password on ChangePassword like a wrong sign-in, and checks the new one', async () => {
    const { email } = await newUser('change');
    const { AccessToken } = (await signIn(email)).body.AuthenticationResult as { AccessToken: string };
    expect(
      await call('ChangePassword', {
        AccessToken,
        PreviousPassword: 'Wrong-Password-1',
        ProposedPassword: `${PASSWORD}-2`,
      }),
    ).toEqual(WRONG);
    expect(
      await call('ChangePassword', { AccessToken, PreviousPassword: PASSWORD, ProposedPassword: 'short' }),
    ).toMatchObject({
      status: 400,
      body: {
        __type: 'InvalidPasswordException',
        message: expect.stringMatching(/^Password does not conform to policy/),
      },
    });
    expect(
      await call('ChangePassword', {
        AccessToken: 'forged',
        PreviousPassword: PASSWORD,
        ProposedPassword: `${PASSWORD}-2`,
      }),
    ).toEqual(error('NotAuthorizedException', 'Invalid Access Token'));
  });

  it.each([
    [
      'AdminUserGlobalSignOut',
      (Username: string) => new AdminUserGlobalSignOutCommand({ ...pool(), Username }),
    ],
    [
      'AdminResetUserPassword',
      (Username: string) => new AdminResetUserPasswordCommand({ ...pool(), Username }),
    ],
    [
      'AdminSetUserMFAPreference',
      (Username: string) =>
        new AdminSetUserMFAPreferenceCommand({
          ...pool(),
          Username,
          SoftwareTokenMfaSettings: { Enabled: false },
        }),
    ],
  ])('answers %s for an unknown or prototype user name with UserNotFoundException', async (_op, command) => {
    for (const name of ['__proto__', 'constructor', `nobody-${randomUUID()}@example.test`]) {
      expect(await failure(cognito.admin.send(command(name) as never))).toEqual({
        name: 'UserNotFoundException',
        message: 'User does not exist.',
      });
    }
  });

  it("answers a password change for a user deleted since with the emulator's answer", async () => {
    const { email } = await newUser('gone');
    const { AccessToken } = (await signIn(email)).body.AuthenticationResult as { AccessToken: string };
    await cognito.admin.send(new AdminDeleteUserCommand({ ...pool(), Username: email }));
    const answer = await call('ChangePassword', {
      AccessToken,
      PreviousPassword: PASSWORD,
      ProposedPassword: `${PASSWORD}-2`,
    });
    expect(answer).toEqual(error('NotAuthorizedException', 'User not authorized'));
  });

  it('hands other admin sign-in flows to the emulator, and answers what it lacks as a 400', async () => {
    const answer = await failure(
      cognito.admin.send(
        new AdminInitiateAuthCommand({
          ...pool(),
          ClientId: cognito.clientId,
          AuthFlow: 'CUSTOM_AUTH',
          AuthParameters: { USERNAME: 'a@example.test' },
        }),
      ),
    );
    expect(answer).toEqual({
      name: 'InvalidParameterException',
      message:
        'Not supported by the local stack: Cognito Local unsupported feature: AdminInitAuth with AuthFlow=CUSTOM_AUTH',
    });
  });

  it('sends an invitation again (AdminCreateUser RESEND) with a new temporary password, only before the first sign-in', async () => {
    // Prepare: an invitation as the admin API sends it (not suppressed).
    const email = `resend-${randomUUID().slice(0, 8)}@example.test`;
    await cognito.admin.send(
      new AdminCreateUserCommand({
        ...pool(),
        Username: email,
        DesiredDeliveryMediums: ['EMAIL'],
        UserAttributes: [
          { Name: 'email', Value: email },
          { Name: 'email_verified', Value: 'true' },
        ],
      }),
    );
    const first = cognito.invitationFor(email) ?? '';

    // Act
    const resent = await cognito.admin.send(
      new AdminCreateUserCommand({ ...pool(), Username: email, MessageAction: 'RESEND' }),
    );
    const second = cognito.invitationFor(email) ?? '';

    // Assess: a new temporary password replaces the first, and leads to the new-password step.
    expect(first).toMatch(/^.{12,}$/);
    expect(second).not.toBe(first);
    expect(resent.User).toMatchObject({
      UserStatus: 'FORCE_CHANGE_PASSWORD',
      Attributes: expect.arrayContaining([{ Name: 'email', Value: email }]),
    });
    expect(await signIn(email, first)).toEqual(WRONG);
    expect((await signIn(email, second)).body).toMatchObject({ ChallengeName: 'NEW_PASSWORD_REQUIRED' });
  });

  it('refuses a temporary password after its 3 days, until the invitation is sent again', async () => {
    // Prepare: invited with a temporary password, then 3 days and a minute pass.
    const email = `late-${randomUUID().slice(0, 8)}@example.test`;
    await cognito.admin.send(
      new AdminCreateUserCommand({
        ...pool(),
        Username: email,
        MessageAction: 'SUPPRESS',
        TemporaryPassword: `${PASSWORD}-tmp`,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    clockAhead = 3 * 24 * 60 * 60_000 + 60_000;
    try {
      // Act and assess: the right temporary password is refused as expired; a wrong one as wrong.
      expect(await signIn(email, `${PASSWORD}-tmp`)).toEqual(
        error(
          'NotAuthorizedException',
          'Temporary password has expired and must be reset by an administrator.',
        ),
      );
      expect(await signIn(email, `${PASSWORD}-wrong`)).toEqual(WRONG);
    } finally {
      clockAhead = 0;
    }
    // Within its days it leads to the new-password step (the same password, the clock back).
    expect((await signIn(email, `${PASSWORD}-tmp`)).body).toMatchObject({
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
    });
  });

  it('refuses to send an invitation again to someone who has signed in, or to nobody', async () => {
    const { email } = await newUser('confirmed');
    expect(
      await failure(
        cognito.admin.send(
          new AdminCreateUserCommand({ ...pool(), Username: email, MessageAction: 'RESEND' }),
        ),
      ),
    ).toMatchObject({ name: 'UnsupportedUserStateException' });
    expect(cognito.invitationFor(email)).toBeUndefined();
    for (const name of ['__proto__', `nobody-${randomUUID()}@example.test`])
      expect(
        await failure(
          cognito.admin.send(
            new AdminCreateUserCommand({ ...pool(), Username: name, MessageAction: 'RESEND' }),
          ),
        ),
      ).toEqual({ name: 'UserNotFoundException', message: 'User does not exist.' });
  });

  it('starts an admin password reset (the old password works until it is confirmed with the code)', async () => {
    const { email } = await newUser('reset');
    await cognito.admin.send(new AdminResetUserPasswordCommand({ ...pool(), Username: email }));
    expect((await signIn(email)).status).toBe(200);
    const code = cognito.resetCodeFor(email);
    expect(code).toMatch(/^\d{6}$/);
    expect(
      (
        await call('ConfirmForgotPassword', {
          ClientId: cognito.clientId,
          Username: email,
          ConfirmationCode: code,
          Password: `${PASSWORD}-reset`,
        })
      ).status,
    ).toBe(200);
    expect((await signIn(email, `${PASSWORD}-reset`)).status).toBe(200);
  });

  it('refuses a weak temporary password, and makes up a strong one when none is given', async () => {
    const email = `invited-${randomUUID().slice(0, 8)}@Example.test`;
    const weak = await failure(
      cognito.admin.send(
        new AdminCreateUserCommand({ ...pool(), Username: email, TemporaryPassword: 'abc' }),
      ),
    );
    expect(weak).toMatchObject({
      name: 'InvalidPasswordException',
      message: expect.stringMatching(/not long enough/),
    });
    const created = await cognito.admin.send(
      new AdminCreateUserCommand({
        ...pool(),
        Username: email,
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    expect(created.User?.UserStatus).toBe('FORCE_CHANGE_PASSWORD');
    expect(created.User?.Attributes?.find((a) => a.Name === 'email')?.Value).toBe(email.toLowerCase());
  });

  it('starts from the first page for a pagination token it did not give', async () => {
    const first = await cognito.admin.send(new ListUsersCommand({ ...pool(), Limit: 2 }));
    const forged = await cognito.admin.send(
      new ListUsersCommand({
        ...pool(),
        Limit: 2,
        PaginationToken: Buffer.from('not a number').toString('base64url'),
      }),
    );
    expect(forged.Users?.map((u) => u.Username)).toEqual(first.Users?.map((u) => u.Username));
  });
});

describe('resetting a forgotten password (ForgotPassword, ConfirmForgotPassword, unsigned as Amplify sends them)', () => {
  const forgot = (Username: unknown) => call('ForgotPassword', { ClientId: cognito.clientId, Username });
  const confirm = (Username: unknown, ConfirmationCode: unknown, Password: unknown = `${PASSWORD}-new`) =>
    call('ConfirmForgotPassword', { ClientId: cognito.clientId, Username, ConfirmationCode, Password });
  const MISMATCH = error('CodeMismatchException', 'Invalid verification code provided, please try again.');

  it('sends a code to the address, and sets the new password with it once', async () => {
    // Prepare
    const { email } = await newUser('forgot');
    triggerCalls.length = 0;

    // Act: asked for in another case, as a person types it.
    const asked = await forgot(email.toUpperCase());
    const code = cognito.resetCodeFor(email) ?? '';

    // Assess
    expect(asked).toEqual({
      status: 200,
      errorType: null,
      body: {
        CodeDeliveryDetails: { Destination: 'f***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' },
      },
    });
    expect(code).toMatch(/^\d{6}$/);
    expect(await confirm(email, code === '000000' ? '000001' : '000000')).toEqual(MISMATCH);
    expect(await confirm(email, code, 'weak')).toMatchObject({
      status: 400,
      body: { __type: 'InvalidPasswordException' },
    });
    expect(await confirm(email, code)).toEqual({ status: 200, errorType: null, body: {} });
    expect(await signIn(email)).toEqual(WRONG);
    expect((await signIn(email, `${PASSWORD}-new`)).status).toBe(200);
    expect(await confirm(email, code, `${PASSWORD}-again`)).toEqual(MISMATCH);
    // Cognito runs post-confirmation for a confirmed reset.
    expect(triggerCalls.map((c) => c.name)).toContain('PostConfirmation');
  });

  it('answers an unknown address as a known one, sends nothing, and refuses any code for it', async () => {
    const email = `nobody-${randomUUID().slice(0, 8)}@example.test`;
    expect(await forgot(email)).toEqual({
      status: 200,
      errorType: null,
      body: {
        CodeDeliveryDetails: { Destination: 'n***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' },
      },
    });
    expect(cognito.resetCodeFor(email)).toBeUndefined();
    expect(await confirm(email, '123456')).toEqual(MISMATCH);
    for (const name of ['__proto__', 'constructor']) {
      expect((await forgot(name)).status).toBe(200);
      expect(await confirm(name, '123456')).toEqual(MISMATCH);
    }
  });

  it('refuses a reset for an invited user who has not yet signed in with the temporary password', async () => {
    const email = `invited-${randomUUID().slice(0, 8)}@example.test`;
    await cognito.admin.send(
      new AdminCreateUserCommand({
        UserPoolId: cognito.userPoolId,
        Username: email,
        MessageAction: 'SUPPRESS',
        TemporaryPassword: `${PASSWORD}-tmp`,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    expect(await forgot(email)).toEqual(
      error('NotAuthorizedException', 'User password cannot be reset in the current state.'),
    );
    expect(cognito.resetCodeFor(email)).toBeUndefined();
  });

  it('spends the code after 5 wrong guesses', async () => {
    const { email } = await newUser('guessed');
    await forgot(email);
    const code = cognito.resetCodeFor(email) ?? '';
    const wrong = code === '999999' ? '999998' : '999999';
    for (let i = 0; i < 4; i += 1) expect(await confirm(email, wrong)).toEqual(MISMATCH);
    expect(await confirm(email, wrong)).toEqual(
      error('LimitExceededException', 'Attempt limit exceeded, please try after some time.'),
    );
    expect(await confirm(email, code)).toEqual(MISMATCH);
    expect((await signIn(email)).status).toBe(200);
  });

  it.each([
    ['no user name', { ClientId: 'CLIENT' }],
    ['a number for the user name', { ClientId: 'CLIENT', Username: 42 }],
    ['a user name of 129 characters', { ClientId: 'CLIENT', Username: 'x'.repeat(129) }],
  ])('refuses ForgotPassword with %s as a client error', async (_what, body) => {
    const answer = await call('ForgotPassword', { ...body, ClientId: cognito.clientId });
    expect(answer).toMatchObject({ status: 400, body: { __type: 'InvalidParameterException' } });
  });

  it('refuses a code with a space, an empty one or one of another type as a client error', async () => {
    const { email } = await newUser('badcode');
    await forgot(email);
    for (const code of ['', '12 34', 123456, null])
      expect(await confirm(email, code)).toMatchObject({
        status: 400,
        body: { __type: 'InvalidParameterException' },
      });
    expect((await confirm(email, cognito.resetCodeFor(email))).status).toBe(200);
  });
});

describe('the trigger endpoint cognito-local calls', () => {
  const invoke = (path: string, method = 'POST', body?: unknown) =>
    fetch(`${emulatorConfig().lambdaUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const fn = (name: string) => `/2015-03-31/functions/${name}/invocations`;

  it.each([
    ['a read', fn('PreTokenGeneration'), 'GET', 'Function not found: PreTokenGeneration'],
    ['another path', '/2015-03-31/functions', 'POST', 'Function not found: /2015-03-31/functions'],
    [
      'a trigger the emulator never runs itself',
      fn('PreAuthentication'),
      'POST',
      'Function not found: PreAuthentication',
    ],
    ['an unknown function', fn('%5F%5Fproto%5F%5F'), 'POST', 'Function not found: __proto__'],
  ])('answers %s as Lambda does an unknown function', async (_what, path, method, message) => {
    const response = await invoke(path, method);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ Type: 'User', message });
  });

  it('answers a trigger that returns nothing with an empty object', async () => {
    const response = await invoke(fn('PostConfirmation'), 'POST', { userName: 'u', request: {} });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
  });

  it('answers a trigger that threw as Lambda does a failed function', async () => {
    const email = `failing-${randomUUID().slice(0, 8)}@example.test`;
    const event = { userName: 'u', request: { userAttributes: { email } } };
    throwFor.set(email, 'not an Error');
    const thrownString = await invoke(fn('PostAuthentication'), 'POST', event);
    throwFor.set(email, new TypeError('bad event'));
    const thrownError = await invoke(fn('PostAuthentication'), 'POST', event);
    throwFor.delete(email);
    expect(thrownString.status).toBe(200);
    expect(thrownString.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(await thrownString.json()).toEqual({ errorType: 'Error', errorMessage: 'not an Error' });
    expect(await thrownError.json()).toEqual({ errorType: 'TypeError', errorMessage: 'bad event' });
  });

  it('survives a caller that goes away in the middle of its body, and answers the next one', async () => {
    // Prepare: a request that promises 100 bytes and sends 10.
    const { hostname, port } = new URL(emulatorConfig().lambdaUrl);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST ${fn('PostConfirmation')} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Length: 100\r\n\r\n{"userName"`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Act
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await invoke(fn('PostConfirmation'), 'POST', { userName: 'u', request: {} });

    // Assess
    expect(next.status).toBe(200);
    expect(await next.json()).toEqual({});
  });

  it('answers a body that is not JSON as a failed function', async () => {
    const response = await fetch(`${emulatorConfig().lambdaUrl}${fn('PostAuthentication')}`, {
      method: 'POST',
      body: '{',
    });
    expect(response.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(await response.json()).toMatchObject({ errorType: 'SyntaxError' });
  });
});

describe('restarting the local Cognito, with MFA required', () => {
  let required: LocalCognito;
  let member: { email: string };
  let firstAnswer: { status: number; retryAfter: string | null; body: string } | undefined;
  const printed: string[] = [];

  beforeAll(async () => {
    member = await newUser('kept');
    const before = { userPoolId: cognito.userPoolId, clientId: cognito.clientId };
    await cognito.stop();
    // Stopping twice is harmless.
    await cognito.stop();

    const port = await freePort();
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    // Not quiet: the log is shown by default.
    const starting = startLocalCognito({
      dataDir,
      port,
      webOrigin: WEB_ORIGIN,
      invokeTrigger,
      mfa: 'REQUIRED',
    });
    // Asked while cognito-local is still starting, the proxy says so instead of failing the call.
    let settled = false;
    void starting.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!firstAnswer && !settled) {
      const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
      if (response)
        firstAnswer = {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: await response.text(),
        };
    }
    required = await starting;
    vi.mocked(process.stdout.write).mockRestore();
    expect({ userPoolId: required.userPoolId, clientId: required.clientId }).toEqual(before);
    cognito = required;
  });

  it('answers 503 while starting, and prints the emulator log marked as its own unless quiet', () => {
    expect(firstAnswer).toEqual({
      status: 503,
      retryAfter: '1',
      body: '{"__type":"ServiceUnavailableException","message":"The local Cognito is starting; try again in a moment."}',
    });
    expect(printed.join('')).toMatch(/^\[cognito\] /m);
  });

  it('keeps the pool and its users: a member made before signs in, and must now set TOTP up', async () => {
    expect((await signIn(member.email)).body).toMatchObject({ ChallengeName: 'MFA_SETUP' });
  });

  it('refuses a set-up session older than 3 minutes', async () => {
    const { email } = await newUser('slow');
    const first = await signIn(email);
    expect(first.body.ChallengeName).toBe('MFA_SETUP');
    expect(
      await later(3 * 60_000 + 1_000, () => call('AssociateSoftwareToken', { Session: first.body.Session })),
    ).toEqual(INVALID_SESSION);
    expect(
      await later(3 * 60_000 + 1_000, () =>
        call('VerifySoftwareToken', { Session: first.body.Session, UserCode: '123456' }),
      ),
    ).toEqual(INVALID_SESSION);
  });

  it('gives no tokens when the TOTP was reset between its verification and the end of the sign-in', async () => {
    const { email } = await newUser('reset-midway');
    const first = await signIn(email);
    const associated = await call('AssociateSoftwareToken', { Session: first.body.Session });
    const verified = await call('VerifySoftwareToken', {
      Session: associated.body.Session,
      UserCode: totpCode(String(associated.body.SecretCode)),
    });
    expect(verified.body.Status).toBe('SUCCESS');
    await cognito.admin.send(
      new AdminSetUserMFAPreferenceCommand({
        UserPoolId: cognito.userPoolId,
        Username: email,
        SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false },
      }),
    );
    const done = await call('RespondToAuthChallenge', {
      ClientId: cognito.clientId,
      ChallengeName: 'MFA_SETUP',
      Session: verified.body.Session,
      ChallengeResponses: { USERNAME: email },
    });
    expect(done).toEqual(error('InvalidParameterException', 'The software token has not been verified.'));
  });
});

describe('a local Cognito that cannot start', () => {
  it('fails when its port is taken, leaving nothing running', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    const dir = mkdtempSync(join(tmpdir(), 'parley-cognito-taken-'));
    try {
      await expect(
        startLocalCognito({ dataDir: dir, port, webOrigin: WEB_ORIGIN, invokeTrigger, quiet: true }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops cognito-local again when the pool cannot be set up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cognito-broken-'));
    // The pool's ids cannot be saved: a folder stands where the file goes.
    mkdirSync(join(dir, 'ids.json'));
    try {
      await expect(
        startLocalCognito({ dataDir: dir, webOrigin: WEB_ORIGIN, invokeTrigger, quiet: true }),
      ).rejects.toMatchObject({ code: 'EISDIR' });
      const { emulatorUrl } = emulatorConfig(dir);
      await expect(fetch(`${emulatorUrl}/health`)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
