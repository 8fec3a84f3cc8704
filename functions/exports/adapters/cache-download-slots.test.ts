import { describe, expect, it } from 'vitest';
import type { Cache } from '#shared/cache/cache';
import { memoryCache } from '#shared/cache/memory-cache';
import { cacheDownloadSlots } from './cache-download-slots';

function setUp(cache: Cache = memoryCache()) {
  const errors: unknown[] = [];
  const slots = cacheDownloadSlots({
    cache: () => cache,
    perOwner: 2,
    ttlSeconds: 60,
    onCacheError: (error) => errors.push(error),
  });
  return { slots, errors };
}

describe('cacheDownloadSlots', () => {
  it('gives each owner up to perOwner slots, and one back once released', async () => {
    const { slots } = setUp();

    const first = await slots.take('ada');
    const second = await slots.take('ada');
    const third = await slots.take('ada');
    const bobs = await slots.take('bob');

    expect(first).toBeTypeOf('function');
    expect(second).toBeTypeOf('function');
    expect(third).toBeUndefined();
    expect(bobs).toBeTypeOf('function');
    await first?.();
    expect(await slots.take('ada')).toBeTypeOf('function');
  });

  it('frees a slot never released once it expires (its instance died mid-download)', async () => {
    let now = 0;
    const { slots } = setUp(memoryCache(() => now));
    await slots.take('ada');
    await slots.take('ada');

    now = 60_001;

    expect(await slots.take('ada')).toBeTypeOf('function');
  });

  it('leaves a slot alone that expired and another download took, when the first releases it', async () => {
    let now = 0;
    const cache = memoryCache(() => now);
    const { slots } = setUp(cache);
    const late = await slots.take('ada');
    now = 60_001;
    await slots.take('ada');
    await slots.take('ada');

    await late?.();

    expect(await slots.take('ada')).toBeUndefined();
  });

  it('gives a slot back that it took while the cache failed to answer a read', async () => {
    // Only reads fail, and only while the first slot is taken: the write had stored it
    let reads = false;
    const cache = memoryCache();
    const flaky: Cache = {
      ...cache,
      get: (key) => (reads ? cache.get(key) : Promise.reject(new Error('read timed out'))),
    };
    const { slots } = setUp(flaky);
    const first = await slots.take('ada');
    reads = true;

    await first?.();

    // Both slots are free again, not one held until it expires
    expect(await slots.take('ada')).toBeTypeOf('function');
    expect(await slots.take('ada')).toBeTypeOf('function');
  });

  it('lets the download go ahead when the cache fails, and says so', async () => {
    const failing = { ...memoryCache(), set: () => Promise.reject(new Error('connection refused')) };
    const { slots, errors } = setUp(failing);

    const release = await slots.take('ada');

    expect(release).toBeTypeOf('function');
    await release?.();
    expect(errors).toHaveLength(1);
  });
});
