import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Cache } from './cache';
import { parseRedisUrl, RespClient } from './resp-client';
import { valkeyCache } from './valkey-cache';

// Needs a real Redis/Valkey: set REDIS_URL (e.g. redis://127.0.0.1:6379). Skipped without it so
// `npm test` passes on a machine with no Redis; CI sets it.
describe.skipIf(!process.env.REDIS_URL)('valkeyCache (real Redis)', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  // A random prefix per run: test files and concurrent runs never share keys.
  const prefix = `parley:test:${randomUUID()}:`;
  let cache: Cache;
  let raw: RespClient;

  beforeAll(() => {
    cache = valkeyCache({ url, keyPrefix: prefix });
    raw = new RespClient({ endpoint: parseRedisUrl(url), commandTimeoutMs: 5_000 });
  });

  afterAll(async () => {
    const keys = (await raw.command('KEYS', `${prefix}*`)) as string[];
    if (keys.length > 0) await raw.command('DEL', ...keys);
    await cache.close();
    await raw.close();
  });

  it('is the valkey kind and answers a ping', async () => {
    expect(cache.kind).toBe('valkey');
    await expect(cache.ping()).resolves.toBeUndefined();
  });

  it('stores a value under the prefix with its TTL', async () => {
    // Act
    await cache.set('greeting', 'hello', 120);

    // Assess
    expect(await cache.get('greeting')).toBe('hello');
    expect(await raw.command('GET', `${prefix}greeting`)).toBe('hello');
    const ttl = (await raw.command('TTL', `${prefix}greeting`)) as number;
    expect(ttl).toBeGreaterThan(110);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it('stores only where nothing is when told to, and keeps the TTL of what it stored', async () => {
    // Act
    const first = await cache.set('standing', 'first', 60, { onlyIfAbsent: true });
    const second = await cache.set('standing', 'second', 60, { onlyIfAbsent: true });

    // Assess: the second write found the first and left it, and said so
    expect(first).toBe(true);
    expect(second).toBe(false);
    expect(await cache.get('standing')).toBe('first');
    expect((await raw.command('TTL', `${prefix}standing`)) as number).toBeGreaterThan(50);
    // A plain write replaces it
    expect(await cache.set('standing', 'third', 60)).toBe(true);
    expect(await cache.get('standing')).toBe('third');
  });

  it('returns null for a missing key and after delete', async () => {
    await cache.set('gone', 'soon', 60);

    await cache.delete('gone');

    expect(await cache.get('gone')).toBeNull();
    expect(await cache.get('never-set')).toBeNull();
  });

  it('increments from 1 and sets the TTL only when the counter is created', async () => {
    // Act
    const first = await cache.increment('counter', 100);
    const second = await cache.increment('counter', 5000);
    const third = await cache.increment('counter', 1);

    // Assess
    expect([first, second, third]).toEqual([1, 2, 3]);
    const ttl = (await raw.command('TTL', `${prefix}counter`)) as number;
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
  });

  it('keeps caches with different prefixes apart', async () => {
    // Prepare
    const otherPrefix = `parley:test:${randomUUID()}:`;
    const other = valkeyCache({ url, keyPrefix: otherPrefix });
    try {
      // Act
      await cache.set('shared-name', 'mine', 60);
      await other.set('shared-name', 'theirs', 60);
      await other.increment('shared-counter', 60);

      // Assess
      expect(await cache.get('shared-name')).toBe('mine');
      expect(await other.get('shared-name')).toBe('theirs');
      expect(await cache.increment('shared-counter', 60)).toBe(1);
    } finally {
      await raw.command('DEL', `${otherPrefix}shared-name`, `${otherPrefix}shared-counter`);
      await other.close();
    }
  });

  it('lets the data expire after its TTL', async () => {
    await cache.set('short', 'lived', 1);

    await new Promise((resolve) => setTimeout(resolve, 1_100));

    expect(await cache.get('short')).toBeNull();
  });
});

/** The operation rejects, and within 2 seconds: a cache outage must not hang a request. */
async function expectFastFailure(cache: Cache, operation: (cache: Cache) => Promise<unknown>): Promise<void> {
  const started = performance.now();
  try {
    const outcome = await operation(cache).then(
      () => 'resolved',
      () => 'rejected',
    );
    expect(outcome).toBe('rejected');
    expect(performance.now() - started).toBeLessThan(2_000);
  } finally {
    await cache.close();
  }
}

describe.skipIf(!process.env.REDIS_URL)('valkeyCache (nothing listening)', () => {
  // Port 1 on the loopback: the connection is refused at once. No Redis is needed for this one,
  // but it sits with the others so one switch runs every cache test that touches the network.
  const closed = () => valkeyCache({ url: 'redis://127.0.0.1:1', keyPrefix: `parley:test:${randomUUID()}:` });

  it.each([
    ['get', (c: Cache) => c.get('k')],
    ['set', (c: Cache) => c.set('k', 'v', 10)],
    ['increment', (c: Cache) => c.increment('k', 10)],
    ['ping', (c: Cache) => c.ping()],
  ])('fails %s within 2 seconds instead of hanging', async (_name, operation) => {
    await expectFastFailure(closed(), operation);
  });

  it('fails fast again on the next call (no queue of waiting commands)', async () => {
    const cache = closed();
    try {
      await cache.get('k').catch(() => undefined);
      const started = performance.now();

      await expect(cache.get('k')).rejects.toThrow();

      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      await cache.close();
    }
  });
});

describe.skipIf(!process.env.REDIS_URL)('valkeyCache (a server that accepts but never answers)', () => {
  // A hung node or a half-open connection: TCP connects, no reply ever comes.
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
  });
  let url: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `redis://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  // A cache outage must cost a request milliseconds, not seconds, even on the first command.
  it('fails the first get within 2 seconds', async () => {
    await expectFastFailure(valkeyCache({ url, keyPrefix: `parley:test:${randomUUID()}:` }), (c) =>
      c.get('k'),
    );
  });
});
