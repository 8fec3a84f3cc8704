import { getConfig, type Config } from '../config';
import type { Cache } from './cache';
import { memoryCache } from './memory-cache';
import { valkeyCache, type ValkeyOptions } from './valkey-cache';

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
  else if (config.CACHE_ENDPOINT) cache = valkeyCache(elasticacheOptions(config, prefix));
  else cache = memoryCache();
  return cache;
}

type CacheConfig = Pick<Config, 'CACHE_ENDPOINT' | 'CACHE_USER' | 'CACHE_NAME' | 'AWS_REGION'>;

/**
 * ElastiCache Serverless: TLS always; with CACHE_USER and CACHE_NAME, each connection
 * authenticates as that user with an IAM token signed by the function's role (the credentials
 * Lambda puts in the environment). The signer loads on the first connection, not at cold start.
 */
export function elasticacheOptions(config: CacheConfig, keyPrefix: string): ValkeyOptions {
  const { CACHE_USER: user, CACHE_NAME: cacheName, AWS_REGION: region } = config;
  return {
    url: `rediss://${config.CACHE_ENDPOINT}`,
    keyPrefix,
    ...(user && cacheName
      ? {
          iam: {
            username: user,
            token: async () => {
              const [{ elasticacheIamToken }, { fromLambdaEnvironment }] = await Promise.all([
                import('./elasticache-iam'),
                import('../aws/lambda-credentials'),
              ]);
              return elasticacheIamToken({
                cacheName,
                user,
                region,
                credentials: async () => fromLambdaEnvironment(process.env),
              });
            },
          },
        }
      : {}),
  };
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
