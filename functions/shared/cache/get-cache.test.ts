import { afterEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../config';
import { closeCache, getCache } from './get-cache';

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
