import { describe, expect, it } from 'vitest';

import { memoryCache } from './memory-cache';

/** A clock the test moves by hand. */
function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('memoryCache', () => {
  it('is the in-process kind and always answers a ping', async () => {
    const cache = memoryCache();

    expect(cache.kind).toBe('in-process');
    await expect(cache.ping()).resolves.toBeUndefined();
  });

  it('returns a value until its TTL has passed, then null', async () => {
    // Prepare
    const clock = fakeClock();
    const cache = memoryCache(clock.now);
    await cache.set('greeting', 'hello', 10);

    // Act
    clock.advance(9_999);
    const before = await cache.get('greeting');
    clock.advance(1);
    const at = await cache.get('greeting');

    // Assess
    expect(before).toBe('hello');
    expect(at).toBeNull();
  });

  it('stores only where nothing live is when told to', async () => {
    let now = 0;
    const cache = memoryCache(() => now);

    expect(await cache.set('k', 'first', 10, { onlyIfAbsent: true })).toBe(true);
    expect(await cache.set('k', 'second', 10, { onlyIfAbsent: true })).toBe(false);
    expect(await cache.get('k')).toBe('first');

    // Expired, it is absent again
    now = 10_001;
    expect(await cache.set('k', 'third', 10, { onlyIfAbsent: true })).toBe(true);
    expect(await cache.get('k')).toBe('third');
    expect(await cache.set('k', 'fourth', 10)).toBe(true);
    expect(await cache.get('k')).toBe('fourth');
  });

  it('returns null for a key never set', async () => {
    expect(await memoryCache().get('missing')).toBeNull();
  });

  it('replaces the value and the expiry on set', async () => {
    const clock = fakeClock();
    const cache = memoryCache(clock.now);
    await cache.set('k', 'one', 1);
    clock.advance(500);
    await cache.set('k', 'two', 10);

    clock.advance(5_000);

    expect(await cache.get('k')).toBe('two');
  });

  it('counts up from 1', async () => {
    const cache = memoryCache(fakeClock().now);

    const values = [
      await cache.increment('hits', 60),
      await cache.increment('hits', 60),
      await cache.increment('hits', 60),
    ];

    expect(values).toEqual([1, 2, 3]);
    expect(await cache.get('hits')).toBe('3');
  });

  it('keeps the expiry of the first increment (a fixed rate-limit window)', async () => {
    // Prepare
    const clock = fakeClock();
    const cache = memoryCache(clock.now);
    await cache.increment('window', 60);

    // Act: later increments with a longer TTL must not extend the window.
    clock.advance(59_000);
    await cache.increment('window', 600);
    clock.advance(1_000);
    const afterWindow = await cache.get('window');
    const restarted = await cache.increment('window', 60);

    // Assess
    expect(afterWindow).toBeNull();
    expect(restarted).toBe(1);
  });

  it('deletes a key', async () => {
    const cache = memoryCache();
    await cache.set('k', 'v', 60);

    await cache.delete('k');

    expect(await cache.get('k')).toBeNull();
  });

  it('forgets everything on close', async () => {
    const cache = memoryCache();
    await cache.set('k', 'v', 60);

    await cache.close();

    expect(await cache.get('k')).toBeNull();
  });
});
