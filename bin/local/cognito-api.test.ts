import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  assertAuthParameters,
  assertChallengeResponses,
  assertPasswordPolicy,
  attributesOf,
  CognitoApiError,
  emulatorApi,
  normaliseUsername,
  type EmulatorApi,
} from './cognito-api';

/** What the stand-in for cognito-local answers next, and what it was asked. */
let next: { status: number; body: string } = { status: 200, body: '{}' };
const received: { target: string | undefined; body: unknown }[] = [];
let server: Server;
let api: EmulatorApi;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        target: req.headers['x-amz-target'] as string | undefined,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
      });
      res.statusCode = next.status;
      res.end(next.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = emulatorApi(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'local_pool');
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function answer(status: number, body: unknown) {
  next = { status, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof CognitoApiError))
    throw new Error(`expected a CognitoApiError, got ${String(error)}`);
  return { type: error.type, message: error.message, status: error.status };
}

describe('calls to cognito-local', () => {
  it('sends the operation as the X-Amz-Target and answers its JSON', async () => {
    answer(200, { Username: 'u' });
    await expect(api.call('GetUser', { AccessToken: 't' })).resolves.toEqual({ Username: 'u' });
    expect(received.at(-1)).toEqual({
      target: 'AWSCognitoIdentityProviderService.GetUser',
      body: { AccessToken: 't' },
    });
  });

  it('answers an empty success as an empty object', async () => {
    answer(200, '');
    await expect(api.call('AdminDeleteUser', {})).resolves.toEqual({});
  });

  it("passes the emulator's own errors on as they are", async () => {
    answer(400, { __type: 'UsernameExistsException', message: 'User already exists' });
    expect(await failure(api.call('AdminCreateUser', {}))).toEqual({
      type: 'UsernameExistsException',
      message: 'User already exists',
      status: 400,
    });
  });

  it("answers its body limit (an oversized name or password) as the caller's error", async () => {
    answer(413, '<html>Payload Too Large</html>');
    expect(await failure(api.call('InitiateAuth', {}))).toEqual({
      type: 'InvalidParameterException',
      message: 'The request is too large.',
      status: 400,
    });
  });

  it('answers a body that is not JSON as an internal error, without echoing it', async () => {
    answer(502, '<html>Bad Gateway</html>');
    expect(await failure(api.call('InitiateAuth', {}))).toEqual({
      type: 'InternalErrorException',
      message: 'cognito-local answered 502',
      status: 500,
    });
  });

  it.each([
    [400, {}, { type: 'InternalErrorException', message: 'cognito-local answered 400', status: 400 }],
    [
      500,
      { __type: 'InternalFailure' },
      { type: 'InternalFailure', message: 'cognito-local answered 500', status: 500 },
    ],
    [503, { message: 'down' }, { type: 'InternalErrorException', message: 'down', status: 500 }],
  ])('fills in what an error answer (%i) lacks', async (status, body, expected) => {
    answer(status, body);
    expect(await failure(api.call('InitiateAuth', {}))).toEqual(expected);
  });
});

describe('looking a user up', () => {
  it('finds the user the emulator has', async () => {
    answer(200, { Username: 'sub-1', Enabled: true });
    await expect(api.getUser('ann@example.test')).resolves.toEqual({ Username: 'sub-1', Enabled: true });
    expect(received.at(-1)?.body).toEqual({ UserPoolId: 'local_pool', Username: 'ann@example.test' });
  });

  it.each([undefined, '', 42, { $ne: null }])('asks nothing for the user name %j', async (name) => {
    const before = received.length;
    await expect(api.getUser(name)).resolves.toBeNull();
    expect(received).toHaveLength(before);
  });

  it('finds nobody where the emulator answers a prototype member (`__proto__`, `toString`)', async () => {
    for (const found of [{}, { Username: '' }, { Username: { name: 'Object' } }]) {
      answer(200, found);
      await expect(api.getUser('__proto__')).resolves.toBeNull();
    }
  });

  it('finds nobody for an unknown user, and says so when one is required', async () => {
    answer(400, { __type: 'UserNotFoundException', message: 'User does not exist.' });
    await expect(api.getUser('nobody@example.test')).resolves.toBeNull();
    expect(await failure(api.userOrThrow('nobody@example.test'))).toEqual({
      type: 'UserNotFoundException',
      message: 'User does not exist.',
      status: 400,
    });
  });

  it('passes on any other failure rather than calling the user unknown', async () => {
    answer(500, { __type: 'InternalFailure', message: 'disk full' });
    expect(await failure(api.getUser('ann@example.test'))).toEqual({
      type: 'InternalFailure',
      message: 'disk full',
      status: 500,
    });
  });
});

describe('request rules the emulator lacks', () => {
  it('compares e-mail user names without case or surrounding spaces, and nothing else', () => {
    expect(normaliseUsername('  Ann@Example.TEST ')).toBe('ann@example.test');
    expect(normaliseUsername('Sub-1')).toBe('Sub-1');
    expect(normaliseUsername(42)).toBe(42);
  });

  it('reads attributes, a missing value as empty', () => {
    expect(
      attributesOf({
        Username: 'u',
        Enabled: true,
        UserAttributes: [{ Name: 'sub', Value: 's' }, { Name: 'name' }],
      }),
    ).toEqual({ sub: 's', name: '' });
    expect(attributesOf(null)).toEqual({});
  });

  it('refuses a password against the policy, and leaves a missing or wrong-typed one to the emulator', () => {
    expect(() => assertPasswordPolicy('abc')).toThrow(
      expect.objectContaining({
        type: 'InvalidPasswordException',
        message: expect.stringMatching(/^Password does not conform to policy: Password not long enough/),
      }),
    );
    expect(() => assertPasswordPolicy('Correct-Horse-42')).not.toThrow();
    expect(() => assertPasswordPolicy(undefined)).not.toThrow();
    expect(() => assertPasswordPolicy(['abc'])).not.toThrow();
  });

  it.each([
    ['USER_PASSWORD_AUTH', { PASSWORD: 'p' }, 'USERNAME'],
    ['USER_PASSWORD_AUTH', { USERNAME: null, PASSWORD: 'p' }, 'USERNAME'],
    ['USER_PASSWORD_AUTH', { USERNAME: 'a@example.test' }, 'PASSWORD'],
    ['USER_PASSWORD_AUTH', {}, 'USERNAME'],
    ['ADMIN_USER_PASSWORD_AUTH', { USERNAME: 'a@example.test', PASSWORD: null }, 'PASSWORD'],
    ['ADMIN_NO_SRP_AUTH', { PASSWORD: 'p' }, 'USERNAME'],
    ['USER_SRP_AUTH', { USERNAME: 'a@example.test' }, 'SRP_A'],
    ['REFRESH_TOKEN_AUTH', { USERNAME: 'a@example.test' }, 'REFRESH_TOKEN'],
    ['REFRESH_TOKEN', { REFRESH_TOKEN: null }, 'REFRESH_TOKEN'],
    ['CUSTOM_AUTH', { PASSWORD: 'p' }, 'USERNAME'],
  ])('refuses %s with %j as Cognito does: missing %s', (AuthFlow, AuthParameters, name) => {
    expect(() => assertAuthParameters({ AuthFlow, AuthParameters })).toThrow(
      expect.objectContaining({
        type: 'InvalidParameterException',
        message: `Missing required parameter ${name}`,
      }),
    );
  });

  it('passes a sign-in with what its flow requires, and leaves the rest to the emulator', () => {
    const pass = (body: Record<string, unknown>) => expect(() => assertAuthParameters(body)).not.toThrow();
    pass({ AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: '', PASSWORD: '' } });
    pass({ AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: 'a', SRP_A: '1', DEVICE_KEY: null } });
    pass({ AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: 't' } });
    // No parameters at all (the emulator names authParameters), or a flow nobody knows.
    pass({ AuthFlow: 'USER_PASSWORD_AUTH' });
    pass({ AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: null });
    pass({ AuthFlow: 'NO_SUCH_FLOW', AuthParameters: {} });
    // A flow named by a prototype key is no flow of the table.
    pass({ AuthFlow: '__proto__', AuthParameters: {} });
    pass({ AuthFlow: 'constructor', AuthParameters: {} });
    pass({ AuthParameters: {} });
  });

  it.each([
    ['SOFTWARE_TOKEN_MFA', { SOFTWARE_TOKEN_MFA_CODE: '123456' }],
    ['SOFTWARE_TOKEN_MFA', { USERNAME: null, SOFTWARE_TOKEN_MFA_CODE: '123456' }],
    ['MFA_SETUP', {}],
    ['NEW_PASSWORD_REQUIRED', { NEW_PASSWORD: 'Passw0rd!Passw0rd' }],
    ['__proto__', { username: 'a@example.test' }],
  ])(
    'refuses an answer to %s with %j as Cognito does: missing USERNAME',
    (ChallengeName, ChallengeResponses) => {
      expect(() => assertChallengeResponses({ ChallengeName, ChallengeResponses })).toThrow(
        expect.objectContaining({
          type: 'InvalidParameterException',
          message: 'Missing required parameter USERNAME',
        }),
      );
    },
  );

  it('passes an answer that names its user, and leaves one with no responses at all to the session check', () => {
    const pass = (body: Record<string, unknown>) =>
      expect(() => assertChallengeResponses(body)).not.toThrow();
    pass({
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      ChallengeResponses: { USERNAME: 'a', SOFTWARE_TOKEN_MFA_CODE: '1' },
    });
    pass({ ChallengeName: 'MFA_SETUP', ChallengeResponses: { USERNAME: '' } });
    pass({ ChallengeName: 'MFA_SETUP' });
    pass({ ChallengeName: 'MFA_SETUP', ChallengeResponses: null });
    // A prototype key as the user name is a user name (the session check refuses it).
    pass({ ChallengeName: 'SOFTWARE_TOKEN_MFA', ChallengeResponses: JSON.parse('{"USERNAME":"__proto__"}') });
  });

  it("reads only the parameters the request itself holds, not a prototype's", () => {
    const params = JSON.parse('{"__proto__": {"USERNAME": "a", "PASSWORD": "p"}}') as Record<string, unknown>;
    expect(() => assertAuthParameters({ AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: params })).toThrow(
      'Missing required parameter USERNAME',
    );
  });
});
