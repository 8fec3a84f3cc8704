import { afterEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../config';
import { closeCache, elasticacheOptions, getCache } from './get-cache';

const base = {
  STAGE: 'test',
  DB_DRIVER: 'pg',
  DATABASE_URL: 'postgres://127.0.0.1:1/x',
  COGNITO_USER_POOL_ID: 'local_Abc123',
  COGNITO_CLIENT_IDS: 'client',
  WEB_ORIGIN: 'https://chat.example.test',
};
const saved = { ...process.env };

function withEnv(env: Record<string, string>): void {
  const { REDIS_URL: _r, CACHE_ENDPOINT: _e, CACHE_USER: _u, CACHE_NAME: _n, ...rest } = process.env;
  process.env = { ...rest, ...base, ...env };
  resetConfig();
}

afterEach(async () => {
  await closeCache();
  process.env = { ...saved };
  resetConfig();
});

describe('getCache', () => {
  it('is in-process when no cache is configured, and the same instance on every call', () => {
    withEnv({});
    expect(getCache().kind).toBe('in-process');
    expect(getCache()).toBe(getCache());
  });

  it('is Valkey for REDIS_URL and for an ElastiCache endpoint', async () => {
    withEnv({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(getCache().kind).toBe('valkey');
    await closeCache();
    withEnv({
      CACHE_ENDPOINT: 'parley-abc.serverless.euw1.cache.amazonaws.com:6379',
      CACHE_USER: 'u',
      CACHE_NAME: 'n',
    });
    expect(getCache().kind).toBe('valkey');
  });

  it('opens a new cache after close', async () => {
    withEnv({});
    const first = getCache();
    await closeCache();
    expect(getCache()).not.toBe(first);
  });
});

describe('elasticacheOptions', () => {
  const endpoint = {
    CACHE_ENDPOINT: 'parley-abc.serverless.euw1.cache.amazonaws.com:6379',
    AWS_REGION: 'eu-west-1',
  };

  it('authenticates as CACHE_USER with an IAM token for CACHE_NAME, signed with the environment credentials', async () => {
    // Prepare: the credentials Lambda puts in the environment (obviously fake values).
    process.env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'AKIDFAKE',
      AWS_SECRET_ACCESS_KEY: 'fake/secret',
      AWS_SESSION_TOKEN: 'SESSION',
    };

    // Act
    const options = elasticacheOptions(
      { ...endpoint, CACHE_USER: 'parley-app-dev', CACHE_NAME: 'Parley-Dev' },
      'p:',
    );
    const token = await options.iam?.token();

    // Assess
    expect(options.url).toBe('rediss://parley-abc.serverless.euw1.cache.amazonaws.com:6379');
    expect(options.keyPrefix).toBe('p:');
    expect(options.iam?.username).toBe('parley-app-dev');
    expect(token?.startsWith('parley-dev/?')).toBe(true);
    const query = new URLSearchParams(token?.slice(token.indexOf('?') + 1));
    expect(query.get('User')).toBe('parley-app-dev');
    expect(query.get('X-Amz-Credential')).toMatch(/^AKIDFAKE\/\d{8}\/eu-west-1\/elasticache\/aws4_request$/);
    expect(query.get('X-Amz-Security-Token')).toBe('SESSION');
  });

  it('fails the token (so the connection, not the process) when the environment has no credentials', async () => {
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, ...rest } = process.env;
    process.env = rest;
    const options = elasticacheOptions({ ...endpoint, CACHE_USER: 'u', CACHE_NAME: 'n' }, 'p:');

    await expect(options.iam?.token()).rejects.toThrow(/AWS_ACCESS_KEY_ID/);
  });

  it('uses TLS without IAM when CACHE_USER or CACHE_NAME is missing', () => {
    expect(elasticacheOptions({ ...endpoint, CACHE_USER: 'u' }, 'p:')).not.toHaveProperty('iam');
    expect(elasticacheOptions({ ...endpoint, CACHE_NAME: 'n' }, 'p:')).not.toHaveProperty('iam');
    expect(elasticacheOptions(endpoint, 'p:').url).toMatch(/^rediss:\/\//);
  });
});
