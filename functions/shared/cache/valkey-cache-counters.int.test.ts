import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl, RespClient } from './resp-client';
import { valkeyCache } from './valkey-cache';

// A real Redis/Valkey (REDIS_URL, as CI sets it); skipped without one.
describe.skipIf(!process.env.REDIS_URL)('valkeyCache counters and key prefix (real Redis)', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const id = randomUUID();
  let raw: RespClient;
  beforeAll(() => {
    raw = new RespClient({ endpoint: parseRedisUrl(url), commandTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    const keys = [
      ...((await raw.command('KEYS', `parley:${id}*`)) as string[]),
      ...((await raw.command('KEYS', `t:${id}*`)) as string[]),
    ];
    if (keys.length > 0) await raw.command('DEL', ...keys);
    await raw.close();
  });

  it('prefixes every key with parley: unless told otherwise', async () => {
    const cache = valkeyCache({ url });
    try {
      await cache.set(`${id}:k`, 'v', 60);
      expect(await raw.command('GET', `parley:${id}:k`)).toBe('v');
    } finally {
      await cache.close();
    }
  });

  it('fails an increment of a key that holds text, rather than answering a wrong count', async () => {
    const cache = valkeyCache({ url, keyPrefix: 't:' });
    try {
      await raw.command('SET', `t:${id}:text`, 'not a number');
      await expect(cache.increment(`${id}:text`, 60)).rejects.toThrow(/not an integer/);
      expect(await cache.increment(`${id}:count`, 60)).toBe(1);
      expect(await cache.increment(`${id}:count`, 60)).toBe(2);
      expect(await raw.command('TTL', `t:${id}:count`)).toBeGreaterThan(0);
    } finally {
      await cache.close();
    }
  });
});
