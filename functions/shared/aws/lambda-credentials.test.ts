import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider, fromLambdaEnvironment } from './lambda-credentials';

describe('the Lambda bundles’ credential provider', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('gives the execution role’s credentials from the environment, session token included', () => {
    expect(
      fromLambdaEnvironment({
        AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'token',
      }),
    ).toEqual({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
  });

  it('gives long-term keys without a session token, and the account id when set', () => {
    expect(
      fromLambdaEnvironment({
        AWS_ACCESS_KEY_ID: 'AKIA',
        AWS_SECRET_ACCESS_KEY: 's',
        AWS_ACCOUNT_ID: '123456789012',
      }),
    ).toEqual({ accessKeyId: 'AKIA', secretAccessKey: 's', accountId: '123456789012' });
  });

  it('refuses, naming the variables, when the environment has no credentials', () => {
    for (const env of [{}, { AWS_ACCESS_KEY_ID: 'AKIA' }, { AWS_SECRET_ACCESS_KEY: 's' }])
      expect(() => fromLambdaEnvironment(env)).toThrow(/AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY/);
  });

  it('reads process.env when the SDK asks, as the SDK’s defaultProvider() does', async () => {
    const provider = defaultProvider();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIANOW');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'now');
    vi.stubEnv('AWS_SESSION_TOKEN', undefined);
    vi.stubEnv('AWS_ACCOUNT_ID', undefined);
    await expect(provider()).resolves.toEqual({ accessKeyId: 'ASIANOW', secretAccessKey: 'now' });
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
    await expect(provider()).rejects.toMatchObject({ name: 'CredentialsProviderError' });
  });
});
