import { getConfig } from '../config';
import type { Cache } from './cache';
import { memoryCache } from './memory-cache';
import { valkeyCache } from './valkey-cache';

let cache: Cache | undefined;

/**
 * The process's cache: REDIS_URL (local, tests), CACHE_ENDPOINT (ElastiCache Serverless: TLS, and
 * IAM authentication as CACHE_USER when CACHE_NAME is set), or the in-process one.
 */
export function getCache(): Cache {
  if (cache) return cache;
  const config = getConfig();
  const prefix = `parley:${config.STAGE}:`;
  if (config.REDIS_URL) cache = valkeyCache({ url: config.REDIS_URL, keyPrefix: prefix });
  else if (config.CACHE_ENDPOINT)
    cache = valkeyCache({ url: `rediss://${config.CACHE_ENDPOINT}`, keyPrefix: prefix });
  else cache = memoryCache();
  return cache;
}

export function setCache(replacement: Cache | undefined): void {
  cache = replacement;
}

/** Closes the process's cache if one was opened (shutdown of the local server, tests). */
export async function closeCache(): Promise<void> {
  const current = cache;
  cache = undefined;
  await current?.close();
}
