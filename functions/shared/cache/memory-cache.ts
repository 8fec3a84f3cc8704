import type { Cache } from './cache';

/** An in-process cache with expiry, for a laptop without Redis and for unit tests. */
export function memoryCache(now: () => number = Date.now): Cache {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  return {
    kind: 'in-process',
    get: async (key) => live(key)?.value ?? null,
    set: async (key, value, ttlSeconds, options) => {
      if (options?.onlyIfAbsent && live(key)) return false;
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
      return true;
    },
    increment: async (key, ttlSeconds) => {
      const entry = live(key);
      const value = Number(entry?.value ?? 0) + 1;
      entries.set(key, { value: String(value), expiresAt: entry?.expiresAt ?? now() + ttlSeconds * 1000 });
      return value;
    },
    delete: async (key) => {
      entries.delete(key);
    },
    ping: async () => {},
    close: async () => {
      entries.clear();
    },
  };
}
