import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';

import { OpenAIKeyError, openAIKeySource, parseSecret } from './openai-key';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-openai-AbCdEf';
const KEY = 'test-key-0123456789abcdef';

describe('openAIKeySource', () => {
  const secrets = mockClient(SecretsManagerClient);
  const client = new SecretsManagerClient({ region: 'eu-west-1' });
  const deps = { secretsManager: async () => client };

  afterEach(() => {
    secrets.reset();
  });

  it('is undefined when no key is configured (the offline model answers)', () => {
    expect(openAIKeySource({ AWS_REGION: 'eu-west-1' })).toBeUndefined();
  });

  it('answers OPENAI_API_KEY without asking Secrets Manager', async () => {
    // Act
    const key = await openAIKeySource(
      { AWS_REGION: 'eu-west-1', OPENAI_API_KEY: KEY, OPENAI_SECRET_ARN: ARN },
      deps,
    )?.get();

    // Assess
    expect(key).toBe(KEY);
    expect(secrets.calls()).toHaveLength(0);
  });

  it('fetches OPENAI_SECRET_ARN once and keeps the key for later calls', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const source = openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN }, deps);

    // Act
    const first = await source?.get();
    const second = await source?.get();

    // Assess
    expect([first, second]).toEqual([KEY, KEY]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: ARN });
  });

  it('shares one fetch between concurrent first calls', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const source = openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN }, deps);

    await Promise.all([source?.get(), source?.get(), source?.get()]);

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('reads the key from a JSON secret', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ apiKey: KEY, note: 'rotated' }) });

    const key = await openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN }, deps)?.get();

    expect(key).toBe(KEY);
  });

  it('fetches again after a failure, and after invalidate()', async () => {
    // Prepare
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('ThrottlingException'))
      .resolves({ SecretString: KEY });
    const source = openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN }, deps);

    // Act
    const failure = await source?.get().catch((error: unknown) => error);
    const recovered = await source?.get();
    source?.invalidate();
    await source?.get();

    // Assess
    expect(failure).toBeInstanceOf(OpenAIKeyError);
    expect((failure as Error).message).toContain(ARN);
    expect(recovered).toBe(KEY);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('creates its own client lazily when given none', async () => {
    // Prepare: aws-sdk-client-mock intercepts every SecretsManagerClient, the lazily made one too.
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: KEY });

    // Act
    const key = await openAIKeySource({ AWS_REGION: 'eu-west-1', OPENAI_SECRET_ARN: ARN })?.get();

    // Assess
    expect(key).toBe(KEY);
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
