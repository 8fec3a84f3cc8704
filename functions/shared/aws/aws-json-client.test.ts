import {
  AdminCreateUserCommand,
  AdminSetUserMFAPreferenceCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createServer, type AddressInfo } from 'node:net';

import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  AwsNetworkError,
  AwsServiceError,
  awsJsonClient,
  defaultAwsJsonEndpoint,
  type AwsJsonClientOptions,
} from './aws-json-client';
import {
  TEST_CREDENTIALS,
  awsJsonError,
  startAwsJsonTestServer,
  type AwsJsonAnswer,
  type AwsJsonCall,
  type AwsJsonTestServer,
} from '../../../test/support/aws/aws-json-test-server';

/** The URL of a loopback port that nothing listens on (a server opened there and closed). */
async function closedPort(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}`;
}

const COGNITO = { service: 'cognito-idp', targetPrefix: 'AWSCognitoIdentityProviderService' } as const;
let server: AwsJsonTestServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

/** A client of a loopback Cognito answering with `answer`; `options` replace the client's defaults here. */
async function cognito(
  answer: (index: number, call: AwsJsonCall) => AwsJsonAnswer | Promise<AwsJsonAnswer>,
  options: Partial<AwsJsonClientOptions<'cognito-idp'>> = {},
) {
  server = await startAwsJsonTestServer({ ...COGNITO, answer });
  const client = awsJsonClient({
    ...COGNITO,
    region: 'eu-west-1',
    endpoint: server.url,
    credentials: () => TEST_CREDENTIALS,
    random: () => 0,
    ...options,
  });
  return { server, client };
}

describe('awsJsonClient', () => {
  it('calls over node:https by default, never the global fetch (undici loads on its first call)', async () => {
    // Prepare: a global fetch that fails the test if it is called
    vi.stubGlobal('fetch', () => {
      throw new Error('the global fetch was called');
    });
    try {
      const { server, client } = await cognito(() => ({ status: 200, body: { Username: 'ada' } }));

      // Act
      const output = await client.call('AdminGetUser', { UserPoolId: 'eu-west-1_P', Username: 'ada' });

      // Assess
      expect(output).toMatchObject({ Username: 'ada' });
      expect(server.calls).toHaveLength(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('POSTs the input as signed awsJson1.1 with the operation in X-Amz-Target, and returns the answer', async () => {
    // Prepare
    const { server, client } = await cognito(() => ({
      status: 200,
      body: { Username: 'ada', UserMFASettingList: ['SOFTWARE_TOKEN_MFA'] },
    }));

    // Act
    const output = await client.call('AdminGetUser', { UserPoolId: 'eu-west-1_P', Username: 'ada' });

    // Assess
    expect(output).toMatchObject({ Username: 'ada', UserMFASettingList: ['SOFTWARE_TOKEN_MFA'] });
    expect(output.$metadata).toMatchObject({ httpStatusCode: 200, requestId: 'req-1', attempts: 1 });
    expect(server.refused).toEqual([]);
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]?.target).toBe('AWSCognitoIdentityProviderService.AdminGetUser');
    expect(server.calls[0]?.body).toEqual({ UserPoolId: 'eu-west-1_P', Username: 'ada' });
    expect(server.calls[0]?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(server.calls[0]?.headers['x-amz-security-token']).toBe(TEST_CREDENTIALS.sessionToken);
  });

  it('takes an empty answer as an empty object (Cognito answers most admin calls so)', async () => {
    const { client } = await cognito(() => ({ status: 200 }));
    const output = await client.call('AdminDeleteUser', { UserPoolId: 'p', Username: 'u' });
    expect(Object.keys(output)).toEqual(['$metadata']);
  });

  it('is refused when signed with other keys (the server checks the signature as AWS does)', async () => {
    const { server, client } = await cognito(() => ({ status: 200 }), {
      credentials: () => ({ ...TEST_CREDENTIALS, secretAccessKey: 'another-secret' }),
    });
    const error = await client.call('AdminGetUser', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect((error as Error).name).toBe('InvalidSignatureException');
    expect(server.calls).toEqual([]);
  });

  it.each([
    [
      'a body __type with a namespace',
      {
        status: 400,
        body: { __type: 'com.amazonaws.cognito#UserNotFoundException', message: 'User does not exist.' },
      },
      'UserNotFoundException',
      'User does not exist.',
    ],
    [
      'the x-amzn-ErrorType header with a URL after the colon',
      {
        status: 400,
        errorTypeHeader: 'ResourceNotFoundException:http://internal.amazon.com/',
        body: { Message: 'No secret' },
      },
      'ResourceNotFoundException',
      'No secret',
    ],
    ['no type at all', { status: 403, body: {} }, 'UnknownError', 'UnknownError'],
  ] as const)('names the error after the exception type, from %s', async (_case, answer, name, message) => {
    const { client } = await cognito(() => answer);
    const error = await client.call('AdminGetUser', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      name,
      message,
      $fault: 'client',
      $metadata: { httpStatusCode: answer.status, attempts: 1 },
    });
  });

  it('retries throttling and 5xx answers and a cut connection, up to 3 attempts in all', async () => {
    // Prepare
    const answers: AwsJsonAnswer[] = [
      awsJsonError(400, 'TooManyRequestsException'),
      { status: 200, body: { ok: 1 } },
      'cut',
      awsJsonError(503, 'InternalErrorException'),
      { status: 200, body: { ok: 2 } },
    ];
    const { server, client } = await cognito((index) => answers[index] ?? { status: 500 });

    // Act
    const first = await client.call('AdminEnableUser', { Username: 'u' });
    const second = await client.call('AdminEnableUser', { Username: 'u' });

    // Assess
    expect(first).toMatchObject({ ok: 1, $metadata: { attempts: 2 } });
    expect(second).toMatchObject({ ok: 2, $metadata: { attempts: 3 } });
    expect(server.calls).toHaveLength(5);
    expect(new Set(server.calls.map((c) => c.target))).toEqual(
      new Set(['AWSCognitoIdentityProviderService.AdminEnableUser']),
    );
  });

  it('gives up after the third attempt with the last error, and retries no client error', async () => {
    const { server, client } = await cognito((index) =>
      index < 3
        ? awsJsonError(500, 'InternalErrorException')
        : awsJsonError(400, 'InvalidParameterException'),
    );
    const error = await client.call('AdminEnableUser', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'InternalErrorException',
      $fault: 'server',
      $metadata: { httpStatusCode: 500, attempts: 3 },
    });
    const final = await client.call('AdminEnableUser', {}).catch((e: unknown) => e);
    expect(final).toMatchObject({ name: 'InvalidParameterException', $metadata: { attempts: 1 } });
    expect(server.calls).toHaveLength(4);
  });

  it('fails with a network error carrying the socket code when nothing answers', async () => {
    const client = awsJsonClient({
      ...COGNITO,
      region: 'eu-west-1',
      endpoint: await closedPort(),
      credentials: () => TEST_CREDENTIALS,
      random: () => 0,
    });
    const error = await client.call('AdminGetUser', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsNetworkError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', $metadata: { attempts: 3 } });
  });

  it('retries only what retryOnly accepts, of what the standard mode would retry', async () => {
    // Prepare: throttled twice, then a 500 the filter does not accept, then a client error.
    const answers: AwsJsonAnswer[] = [
      awsJsonError(400, 'TooManyRequestsException'),
      awsJsonError(500, 'InternalErrorException'),
      awsJsonError(400, 'InvalidParameterException'),
    ];
    const { server, client } = await cognito((index) => answers[index] ?? { status: 200 });
    const retryOnly = (error: unknown) => (error as Error).name === 'TooManyRequestsException';

    // Act
    const error = await client.call('AdminCreateUser', {}, { retryOnly }).catch((e: unknown) => e);
    const accepted = vi.fn(() => true);
    const final = await client.call('AdminCreateUser', {}, { retryOnly: accepted }).catch((e: unknown) => e);

    // Assess: the 500 ended the first call at its second attempt; no filter makes a client
    // error retryable.
    expect(error).toMatchObject({ name: 'InternalErrorException', $metadata: { attempts: 2 } });
    expect(final).toMatchObject({ name: 'InvalidParameterException', $metadata: { attempts: 1 } });
    expect(server.calls).toHaveLength(3);
  });

  it('ends the call when its signal fires, without retrying', async () => {
    const { server, client } = await cognito(
      () => new Promise<AwsJsonAnswer>(() => {}) as unknown as AwsJsonAnswer,
    );
    const error = await client
      .call('AdminGetUser', {}, { signal: AbortSignal.timeout(100) })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
    expect(server.calls).toHaveLength(1);
  });

  it('sends hostile strings as they are and keeps a __proto__ key of the answer as plain data', async () => {
    const { server, client } = await cognito(() => ({
      status: 200,
      body: JSON.parse('{"__proto__": {"polluted": true}, "Username": "x"}') as unknown,
    }));
    const output = await client.call<object, Record<string, unknown>>('AdminGetUser', {
      Username: 'a\u0000b',
      Note: 'x'.repeat(100_000),
    });
    expect(server.calls[0]?.body.Username).toBe('a\u0000b');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(output.Username).toBe('x');
  });

  it('refuses an operation name that is not an identifier, and a target prefix of another service', async () => {
    const { server, client } = await cognito(() => ({ status: 200 }));
    await expect(client.call('AdminGetUser\r\nX-Evil: 1', {})).rejects.toThrow('Not an operation name');
    expect(server.calls).toEqual([]);
    expect(() =>
      awsJsonClient({
        service: 'secretsmanager',
        // The type refuses it too; a caller outside TypeScript gets the error below.
        targetPrefix: 'AWSCognitoIdentityProviderService' as 'secretsmanager',
        region: 'eu-west-1',
      }),
    ).toThrow('target prefix');
  });

  it('finds the endpoint as the SDK does', () => {
    expect(defaultAwsJsonEndpoint('cognito-idp', 'eu-west-1', {})).toBe(
      'https://cognito-idp.eu-west-1.amazonaws.com/',
    );
    expect(defaultAwsJsonEndpoint('secretsmanager', 'cn-north-1', {})).toBe(
      'https://secretsmanager.cn-north-1.amazonaws.com.cn/',
    );
    expect(
      defaultAwsJsonEndpoint('secretsmanager', 'eu-west-1', {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://sm',
        AWS_ENDPOINT_URL: 'http://all',
      }),
    ).toBe('http://sm');
    expect(defaultAwsJsonEndpoint('cognito-idp', 'eu-west-1', { AWS_ENDPOINT_URL: 'http://all' })).toBe(
      'http://all',
    );
    expect(
      defaultAwsJsonEndpoint('cognito-idp', 'eu-west-1', {
        AWS_ENDPOINT_URL: 'http://all',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      }),
    ).toBe('https://cognito-idp.eu-west-1.amazonaws.com/');
  });
});

describe('awsJsonClient on faults an operator meets', () => {
  it('times an attempt out, retries it, then fails with TimeoutError / ETIMEDOUT', async () => {
    const { server, client } = await cognito(() => new Promise<AwsJsonAnswer>(() => {}), { timeoutMs: 50 });

    const error = await client.call('AdminGetUser', {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsNetworkError);
    expect(error).toMatchObject({
      name: 'TimeoutError',
      code: 'ETIMEDOUT',
      message: 'cognito-idp did not answer within 50 ms',
      $metadata: { attempts: 3 },
    });
    expect(server.calls).toHaveLength(3);
  });

  it('retries a gateway’s 502 page without a request id, then reports its status and text', async () => {
    const { server, client } = await cognito(() => ({
      status: 502,
      rawBody: '<html><body>502 Bad Gateway</body></html>',
      withoutRequestId: true,
    }));

    const error = await client.call('AdminGetUser', {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      name: 'UnknownError',
      message: 'HTTP 502: <html><body>502 Bad Gateway</body></html>',
      $fault: 'server',
      $metadata: { httpStatusCode: 502, requestId: undefined, attempts: 3 },
    });
    expect(server.calls).toHaveLength(3);
  });

  it('gives up on throttling after 3 attempts, backing off from 1 s with jitter', async () => {
    const { client } = await cognito(() => awsJsonError(400, 'ThrottlingException', 'Rate exceeded'), {
      random: () => 0.002,
    });

    const error = await client.call('AdminGetUser', {}).catch((e: unknown) => e);

    // 0.002 × 1,000 ms, then 0.002 × 2,000 ms
    expect(error).toMatchObject({
      name: 'ThrottlingException',
      message: 'Rate exceeded',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, attempts: 3, totalRetryDelay: 6 },
    });
  });

  it.each([
    ['truncated JSON', '{"Username":"ada","UserAttributes":[{"Name":"em'],
    ['a JSON array', '[{"Username":"ada"}]'],
    ['JSON null', 'null'],
    ['not JSON at all', 'OK'],
  ])('refuses a success whose body is %s, without retrying', async (_case, rawBody) => {
    const { server, client } = await cognito(() => ({ status: 200, rawBody }));

    const error = await client.call('AdminGetUser', {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      name: 'DeserializationError',
      message: 'cognito-idp answered 200 with a body that is not a JSON object',
      $metadata: { httpStatusCode: 200, requestId: 'req-1', attempts: 1 },
    });
    expect(server.calls).toHaveLength(1);
  });

  it('takes a success with no body at all as an empty answer, with no request id when none came', async () => {
    const { client } = await cognito(() => ({ status: 200, rawBody: '', withoutRequestId: true }));

    const output = await client.call('AdminDeleteUser', { Username: 'u' });

    expect(output).toEqual({
      $metadata: { httpStatusCode: 200, requestId: undefined, attempts: 1, totalRetryDelay: 0 },
    });
  });

  it('goes to the endpoint of AWS_ENDPOINT_URL_SECRETS_MANAGER when given none (or an empty one)', async () => {
    server = await startAwsJsonTestServer({
      service: 'secretsmanager',
      targetPrefix: 'secretsmanager',
      answer: () => ({ status: 200, body: { SecretString: '{"password":"p"}' } }),
    });
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', server.url);
    const client = awsJsonClient({
      service: 'secretsmanager',
      targetPrefix: 'secretsmanager',
      region: 'eu-west-1',
      endpoint: '',
      credentials: () => TEST_CREDENTIALS,
    });

    const output = await client.call('GetSecretValue', { SecretId: 'parley-db' });

    expect(client.endpoint).toBe(`${server.url}/`);
    expect(output.SecretString).toBe('{"password":"p"}');
    expect(server.calls[0]?.target).toBe('secretsmanager.GetSecretValue');
  });
});

describe('awsJsonClient beside the SDK', () => {
  const sdkConfig = (url: string) => ({
    region: 'eu-west-1',
    endpoint: url,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });

  it('sends the same target and JSON body as the SDK Cognito client', async () => {
    server = await startAwsJsonTestServer({
      ...COGNITO,
      answer: () => ({ status: 200, body: { User: { Attributes: [{ Name: 'sub', Value: 's-1' }] } } }),
    });
    const sdk = new CognitoIdentityProviderClient(sdkConfig(server.url));
    const ours = awsJsonClient({
      ...COGNITO,
      region: 'eu-west-1',
      endpoint: server.url,
      credentials: () => TEST_CREDENTIALS,
    });
    const create = {
      UserPoolId: 'eu-west-1_P',
      Username: 'a@example.test',
      UserAttributes: [{ Name: 'email', Value: 'a@example.test' }],
      DesiredDeliveryMediums: ['EMAIL' as const],
    };
    const mfa = {
      UserPoolId: 'eu-west-1_P',
      Username: 'a@example.test',
      SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false },
    };

    const sdkCreated = await sdk.send(new AdminCreateUserCommand(create));
    const ourCreated = await ours.call<typeof create, { User?: unknown }>('AdminCreateUser', create);
    await sdk.send(new AdminSetUserMFAPreferenceCommand(mfa));
    await ours.call('AdminSetUserMFAPreference', mfa);

    expect(server.refused).toEqual([]);
    const [a, b, c, d] = server.calls;
    expect([b?.target, b?.body]).toEqual([a?.target, a?.body]);
    expect([d?.target, d?.body]).toEqual([c?.target, c?.body]);
    expect(a?.headers['content-type']).toBe(b?.headers['content-type']);
    expect(ourCreated.User).toEqual(sdkCreated.User);
  });

  it('sends the same GetSecretValue as the SDK Secrets Manager client', async () => {
    server = await startAwsJsonTestServer({
      service: 'secretsmanager',
      targetPrefix: 'secretsmanager',
      answer: () => ({ status: 200, body: { SecretString: 'value' } }),
    });
    const sdk = new SecretsManagerClient(sdkConfig(server.url));
    const ours = awsJsonClient({
      service: 'secretsmanager',
      targetPrefix: 'secretsmanager',
      region: 'eu-west-1',
      endpoint: server.url,
      credentials: () => TEST_CREDENTIALS,
    });

    const sdkOut = await sdk.send(new GetSecretValueCommand({ SecretId: 'arn:s' }));
    const ourOut = await ours.call<object, { SecretString?: string }>('GetSecretValue', {
      SecretId: 'arn:s',
    });

    expect(server.refused).toEqual([]);
    expect(server.calls[1]?.target).toBe('secretsmanager.GetSecretValue');
    expect([server.calls[1]?.target, server.calls[1]?.body]).toEqual([
      server.calls[0]?.target,
      server.calls[0]?.body,
    ]);
    expect(ourOut.SecretString).toBe(sdkOut.SecretString);
  });
});
