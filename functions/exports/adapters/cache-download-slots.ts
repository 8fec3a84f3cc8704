import { randomUUID } from 'node:crypto';
import type { Cache } from '#shared/cache/cache';
import type { DownloadSlots } from '../ports/download-slots';

/**
 * Each owner's slots as cache keys (Valkey: shared by every instance of the function), taken with
 * SET NX (its reply says whether we took it) and given back by deleting them. A slot outlives its download by at most `ttlSeconds`:
 * an instance that dies mid-download (a timeout, a crash) never gives its slot back, so it must
 * expire by itself once the download could no longer be running. When the cache fails the
 * download goes ahead: the API keeps working without it, unbounded until it is back.
 */
export function cacheDownloadSlots(options: {
  readonly cache: () => Cache;
  readonly perOwner: number;
  readonly ttlSeconds: number;
  readonly onCacheError?: (error: unknown) => void;
}): DownloadSlots {
  const given = async () => undefined;
  return {
    perOwner: options.perOwner,
    async take(ownerId) {
      const token = randomUUID();
      try {
        const cache = options.cache();
        for (let slot = 0; slot < options.perOwner; slot += 1) {
          const key = `download-slot:${ownerId}:${slot}`;
          // Ours only when this write stored it: another download may hold it. The write's own
          // answer, not a read after it, so a read that fails cannot leave a slot taken but unknown.
          if (!(await cache.set(key, token, options.ttlSeconds, { onlyIfAbsent: true }))) continue;
          return async () => {
            try {
              // Not a slot that expired and another download took meanwhile.
              if ((await cache.get(key)) === token) await cache.delete(key);
            } catch (error) {
              options.onCacheError?.(error);
            }
          };
        }
        return undefined;
      } catch (error) {
        options.onCacheError?.(error);
        return given;
      }
    },
  };
}
