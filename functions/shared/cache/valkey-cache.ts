import { Redis } from 'ioredis';
import type { Cache } from './cache';

export interface ValkeyOptions {
  readonly url: string;
  /** Prefix for every key, so stages and tests never collide. */
  readonly keyPrefix?: string;
  /** Per-command ceiling: a slow cache must not slow the API. */
  readonly commandTimeoutMs?: number;
  /** IAM authentication (ElastiCache): the user, and a fresh token on demand. */
  readonly iam?: { readonly username: string; readonly token: () => Promise<string> };
}

/** Tokens live 15 minutes; renew well before, so a reconnect never presents an expired one. */
const TOKEN_RENEW_MS = 10 * 60 * 1000;

/**
 * Valkey/Redis through ioredis, tuned to fail fast: no offline queue, one retry per command and a
 * short command timeout, so a cache outage costs a request milliseconds, not seconds.
 */
export function valkeyCache(options: ValkeyOptions): Cache {
  const client = new Redis(options.url, {
    keyPrefix: options.keyPrefix ?? 'parley:',
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    // The ready check (INFO) would wait on a server that accepts connections but never answers;
    // commands have their own timeout instead.
    enableReadyCheck: false,
    commandTimeout: options.commandTimeoutMs ?? 500,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  // Errors surface on the command that failed; without a listener ioredis would log them loudly.
  client.on('error', () => {});
  let connecting: Promise<void> | undefined;
  let tokenAt = 0;
  const renewToken = async () => {
    if (!options.iam || Date.now() - tokenAt < TOKEN_RENEW_MS) return;
    client.options.username = options.iam.username;
    client.options.password = await options.iam.token();
    tokenAt = Date.now();
  };
  const ready = async () => {
    await renewToken();
    if (client.status === 'ready') return;
    if (client.status === 'wait' || client.status === 'end')
      connecting ??= client.connect().finally(() => (connecting = undefined));
    if (connecting) await connecting;
  };
  return {
    kind: 'valkey',
    get: async (key) => {
      await ready();
      return client.get(key);
    },
    set: async (key, value, ttlSeconds) => {
      await ready();
      await client.set(key, value, 'EX', ttlSeconds);
    },
    increment: async (key, ttlSeconds) => {
      await ready();
      const [[incrError, value] = [null, 0], [expireError] = [null]] =
        (await client.multi().incr(key).expire(key, ttlSeconds, 'NX').exec()) ?? [];
      if (incrError) throw incrError;
      if (expireError) throw expireError;
      return Number(value);
    },
    delete: async (key) => {
      await ready();
      await client.del(key);
    },
    ping: async () => {
      await ready();
      await client.ping();
    },
    close: async () => {
      client.disconnect();
    },
  };
}
