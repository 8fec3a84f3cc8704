import { afterEach, describe, expect, it, vi } from 'vitest';

import { awsJsonClient } from '#shared/aws/aws-json-client';
import {
  TEST_CREDENTIALS,
  awsJsonError,
  startAwsJsonTestServer,
  type AwsJsonAnswer,
  type AwsJsonTestServer,
} from '../../../test/support/aws/aws-json-test-server';
import { OpenAIKeyError, openAIKeySource, parseSecret } from './openai-key';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-openai-AbCdEf';
const KEY = 'test-key-0123456789abcdef';

describe('openAIKeySource', () => {
  /** Secrets Manager is the AWS edge: a loopback server checks each signed call and answers as it does. */
  let server: AwsJsonTestServer | undefined;
  afterEach(async () => {
    vi.unstubAllEnvs();
    await server?.close();
    server = undefined;
  });

  async function secrets(answer: (index: number) => AwsJsonAnswer) {
    server = await startAwsJsonTestServer({
      service: 'secretsmanager',
      targetPrefix: 'secretsmanager',
      answer: (index) => answer(index),
    });
    const client = awsJsonClient({
      service: 'secretsmanager',
      targetPrefix: 'secretsmanager',
      region: 'eu-west-1',
      endpoint: server.url,
      credentials: () => TEST_CREDENTIALS,
      random: () => 0,
    });
    return { server, deps: { secretsManager: async () => client } };
  }
  const secretCalls = () => (server?.calls ?? []).map((c) => [c.target, c.body]);
  const getSecret = ['secretsmanager.GetSecretValue', { SecretId: ARN }];

  it('is undefined when no key is configured (the offline model answers)', () => {
    expect(openAIKeySource({ AWS_REGION: 'eu-west-1' })).toBeUndefined();
  });

  it('answers OPENAI_API_KEY without asking Secrets Manager', async () => {
    // Prepare
    const { deps } = await secrets(() => ({ status: 200, body: { SecretString: 'other' } }));

    // Act
    const key = await openAIKeySource(
      { AWS_REGION: 'eu-west-1', OPENAI_API_KEY: KEY, OPENAI_SECRET_ARN: ARN },
      deps,
    )?.get();

    // Assess
    expect(key).toBe(KEY);
    expect(secretCalls()).toEqual([]);
  });

  it('fetches OPENAI_SECRET_ARN once and keeps the key for later calls', async () => {
    // Prepare
    const { deps } = await secrets(() => ({ status: 200, body: { ARN, SecretString: KEY } }));
    const source = openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN }, deps);

    // Act
    const first = await source?.get();
    const second = await source?.get();

    // Assess
    expect([first, second]).toEqual([KEY, KEY]);
    expect(server?.refused).toEqual([]);
    expect(secretCalls()).toEqual([getSecret]);
  });

  it('shares one fetch between concurrent first calls', async () => {
    const { deps } = await secrets(() => ({ status: 200, body: { SecretString: KEY } }));
    const source = openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN }, deps);

    await Promise.all([source?.get(), source?.get(), source?.get()]);

    expect(secretCalls()).toEqual([getSecret]);
  });

  it('reads the key from a JSON secret', async () => {
    const { deps } = await secrets(() => ({
      status: 200,
      body: { SecretString: JSON.stringify({ apiKey: KEY, note: 'rotated' }) },
    }));

    const key = await openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN }, deps)?.get();

    expect(key).toBe(KEY);
  });

  it('retries a throttled read as the SDK does, and fetches again after a failure and after invalidate()', async () => {
    // Prepare: throttled once (retried within the call), then refused three times (the call fails).
    const answers: AwsJsonAnswer[] = [
      awsJsonError(400, 'ThrottlingException'),
      { status: 200, body: { SecretString: KEY } },
      awsJsonError(500, 'InternalServiceError'),
      awsJsonError(500, 'InternalServiceError'),
      awsJsonError(500, 'InternalServiceError'),
    ];
    const { deps } = await secrets((index) => answers[index] ?? { status: 200, body: { SecretString: KEY } });
    const source = openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN }, deps);

    // Act
    const first = await source?.get();
    source?.invalidate();
    const failure = await source?.get().catch((error: unknown) => error);
    const recovered = await source?.get();

    // Assess
    expect(first).toBe(KEY);
    expect(failure).toBeInstanceOf(OpenAIKeyError);
    expect((failure as Error).message).toContain(ARN);
    expect((failure as Error).cause).toMatchObject({ name: 'InternalServiceError', $fault: 'server' });
    expect(JSON.stringify(failure)).not.toContain(KEY);
    expect(recovered).toBe(KEY);
    expect(secretCalls()).toHaveLength(6);
  });

  it('says which secret was missing, with the service error as the cause', async () => {
    const { deps } = await secrets(() =>
      awsJsonError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret."),
    );
    const failure = await openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN }, deps)
      ?.get()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAIKeyError);
    expect((failure as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(secretCalls()).toHaveLength(1);
  });

  it('creates its own client lazily when given none (region endpoint, keys of the environment)', async () => {
    // Prepare: the lazily made client finds the endpoint where the SDK would (AWS_ENDPOINT_URL_*).
    const { server } = await secrets(() => ({ status: 200, body: { SecretString: KEY } }));
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', server.url);
    vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', TEST_CREDENTIALS.sessionToken);

    // Act
    const key = await openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN })?.get();

    // Assess
    expect(key).toBe(KEY);
    expect(server.refused).toEqual([]);
    expect(secretCalls()).toEqual([getSecret]);
  });

  it('gives up on a Secrets Manager that does not answer (3 s per attempt)', async () => {
    const { server } = await secrets(() => 'cut');
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', server.url);
    vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', TEST_CREDENTIALS.sessionToken);
    const failure = await openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN })
      ?.get()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAIKeyError);
    expect((failure as Error).cause).toMatchObject({ code: 'ECONNRESET', $metadata: { attempts: 3 } });
  });
});

describe('parseSecret', () => {
  it('trims a plain key', () => {
    expect(parseSecret(`  ${KEY}\n`, ARN)).toBe(KEY);
  });

  it.each([
    ['no string value', undefined],
    ['an empty value', '  '],
    ['JSON without apiKey', JSON.stringify({ key: KEY })],
    ['JSON with an empty apiKey', JSON.stringify({ apiKey: ' ' })],
    ['JSON whose apiKey is not a string', JSON.stringify({ apiKey: 42 })],
  ])('refuses %s', (_case, secret) => {
    expect(() => parseSecret(secret, ARN)).toThrow(OpenAIKeyError);
  });

  it('never puts the secret in its error, even when the JSON is broken', () => {
    // Prepare
    const secret = `{"apiKey": "${KEY}"`;

    // Act
    const error = (() => {
      try {
        parseSecret(secret, ARN);
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected parseSecret to throw');
    })();

    // Assess
    expect(error.message).not.toContain(KEY);
    expect(error.message).toContain(ARN);
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(error.cause).toBeUndefined();
  });
});
