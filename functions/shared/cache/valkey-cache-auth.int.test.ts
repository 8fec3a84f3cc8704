import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl, RespClient } from './resp-client';
import { valkeyCache } from './valkey-cache';

// Needs a real Redis/Valkey (REDIS_URL); a machine without one has nothing to authenticate against.
describe.skipIf(!process.env.REDIS_URL)('valkeyCache with IAM-style authentication', () => {
  const url = process.env.REDIS_URL ?? '';
  const username = `parley-test-${randomUUID().slice(0, 8)}`;
  const admin = new RespClient({
    endpoint: parseRedisUrl(url || 'redis://127.0.0.1:6379'),
    commandTimeoutMs: 5_000,
  });

  beforeAll(async () => {
    // A user whose password is the token our provider hands out, as ElastiCache checks IAM tokens.
    await admin.command('ACL', 'SETUSER', username, 'on', '>token-1', '~parley:*', '+@all');
  });
  afterAll(async () => {
    await admin.command('ACL', 'DELUSER', username);
    await admin.close();
  });

  it('connects as the configured user with the token from the provider', async () => {
    let calls = 0;
    const cache = valkeyCache({
      url,
      keyPrefix: `parley:${randomUUID()}:`,
      iam: {
        username,
        token: async () => {
          calls += 1;
          return 'token-1';
        },
      },
    });
    await cache.set('k', 'v', 30);
    expect(await cache.get('k')).toBe('v');
    expect(calls).toBe(1);
    await cache.close();
  });

  it('fails (and does not hang) when the token is refused', async () => {
    const cache = valkeyCache({
      url,
      keyPrefix: 'parley:x:',
      iam: { username, token: async () => 'wrong-token' },
    });
    const started = Date.now();
    await expect(cache.ping()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
    await cache.close();
  });
});
